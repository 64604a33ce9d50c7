// Loaded by `node --require rampart/register app.js`: starts the agent before the app's code runs.
import { protect } from "./index";

protect();
