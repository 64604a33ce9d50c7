import { graphqlSuite } from "./graphql-suite";

graphqlSuite("graphql-js on node:http", "frameworks/graphql-http.cjs");
