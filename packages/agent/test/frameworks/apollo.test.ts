import { graphqlSuite } from "./graphql-suite";

graphqlSuite("Apollo Server standalone", "frameworks/apollo.cjs", { get: true });
