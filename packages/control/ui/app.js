// Entry point: checks the session, shows the sign-in form or the view named by the URL's hash,
// and switches views when the hash changes. Hashes are "#<view>" or "#<view>?<filters>".

import { ApiError, currentSession, setSignedOutHandler, signIn, signOut } from "./api.js";
import { message, replace } from "./dom.js";
import { showAlerts } from "./views/alerts.js";
import { showAudit } from "./views/audit.js";
import { showEvent } from "./views/event-detail.js";
import { showEvents } from "./views/events.js";
import { showExecutive } from "./views/executive.js";
import { showOnCall } from "./views/oncall.js";
import { showPolicies } from "./views/policies.js";
import { showTokens } from "./views/tokens.js";

const views = {
  executive: showExecutive,
  oncall: showOnCall,
  events: showEvents,
  event: showEvent,
  policies: showPolicies,
  tokens: showTokens,
  alerts: showAlerts,
  audit: showAudit,
};

const header = document.getElementById("top");
const signInSection = document.getElementById("sign-in");
const signInForm = document.getElementById("sign-in-form");
const signInMessage = document.getElementById("sign-in-message");
const view = document.getElementById("view");

/** Splits "#event/abc?x=1" into the view name, the rest of the path and the query parameters. */
function parseHash() {
  const hash = location.hash.slice(1);
  const [path, search = ""] = hash.split("?", 2);
  const [name, ...rest] = path.split("/");
  let argument = rest.join("/");
  try {
    argument = decodeURIComponent(argument);
  } catch {
    argument = "";
  }
  return {
    name: name in views ? name : "executive",
    argument,
    params: new URLSearchParams(search),
  };
}

function showSignIn() {
  header.hidden = true;
  replace(view);
  signInSection.hidden = false;
  signInForm.elements.username.focus();
}

async function render() {
  const { name, argument, params } = parseHash();
  for (const link of header.querySelectorAll("nav a")) {
    const current = link.getAttribute("href") === `#${name === "event" ? "events" : name}`;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // Each render draws into a new container, so a slower earlier render that finishes late
  // writes into a detached element instead of mixing into the current view.
  const container = document.createElement("div");
  replace(view, container);
  try {
    await views[name](container, argument, params);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    const region = document.createElement("p");
    message(region, "error", `Could not load this view: ${error.message}`);
    container.append(region);
  }
}

async function start() {
  const username = await currentSession();
  if (username === undefined) {
    showSignIn();
    return;
  }
  signInSection.hidden = true;
  header.hidden = false;
  document.getElementById("user").textContent = username;
  await render();
}

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  message(signInMessage, "info", "Signing in…");
  try {
    await signIn(signInForm.elements.username.value, signInForm.elements.password.value);
    signInForm.reset();
    message(signInMessage, "info", "");
    await start();
  } catch (error) {
    const text =
      error instanceof ApiError && error.status === 401
        ? "Wrong username or password."
        : `Sign-in failed: ${error.message}`;
    message(signInMessage, "error", text);
  }
});

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await signOut();
  } finally {
    showSignIn();
  }
});

setSignedOutHandler(showSignIn);
window.addEventListener("hashchange", () => {
  if (!header.hidden) void render();
});
void start();
