"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("wayfarer.admin.token");
let timer = null;

async function graphql(query, variables) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const error = new Error(body.errors[0].message);
    error.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw error;
  }
  return body.data;
}

function show(error) { $("error").textContent = error ? String(error.message || error) : ""; }

function cell(text, numeric) {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "n";
  return td;
}

function stateText(p) {
  if (p.state === "REBUILDING") return "rebuilding " + p.rebuildDone + "/" + p.rebuildTotal;
  if (p.state === "FAILED") return "failed: " + p.failure;
  return "live";
}

async function refresh() {
  try {
    const data = await graphql("{ projections { name kind position lagEvents lagSeconds deadLetters state rebuildDone rebuildTotal failure replayable } }");
    const rows = $("rows");
    rows.replaceChildren();
    for (const p of data.projections) {
      const tr = document.createElement("tr");
      tr.dataset.projection = p.name;
      tr.append(cell(p.name), cell(p.kind), cell(p.position, true), cell(p.lagEvents, true),
                cell(p.lagSeconds.toFixed(1), true), cell(p.deadLetters, true));
      const state = cell(stateText(p));
      state.className = "state " + p.state.toLowerCase();
      tr.append(state);
      const action = document.createElement("td");
      if (p.replayable) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "rebuild";
        button.textContent = "Rebuild";
        button.disabled = p.state === "REBUILDING";
        button.onclick = () => rebuild(p.name);
        action.append(button);
      }
      tr.append(action);
      rows.append(tr);
    }
    show(null);
  } catch (error) {
    if (error.code === "UNAUTHENTICATED" || error.code === "FORBIDDEN") {
      signOut();
      show(error.code === "FORBIDDEN" ? "Only admins may use this page." : error);
    } else {
      show(error);
    }
  }
}

async function rebuild(name) {
  try {
    await graphql("mutation($name: String!, $key: UUID) { rebuildProjection(name: $name, idempotencyKey: $key) { state } }",
                  { name, key: crypto.randomUUID() });
  } catch (error) { show(error); }
  refresh();
}

function signedIn() {
  $("login").hidden = true;
  $("projections").hidden = false;
  refresh();
  timer = setInterval(refresh, 2000);
}

function signOut() {
  token = null;
  sessionStorage.removeItem("wayfarer.admin.token");
  clearInterval(timer);
  $("login").hidden = false;
  $("projections").hidden = true;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const code = $("code").value.trim();
    const data = await graphql(
      "mutation($email: String!, $password: String!, $code: String) { login(email: $email, password: $password, twoFactorCode: $code) { accessToken } }",
      { email: $("email").value, password: $("password").value, code: code || null });
    token = data.login.accessToken;
    sessionStorage.setItem("wayfarer.admin.token", token);
    signedIn();
  } catch (error) { show(error); }
});
$("sign-out").addEventListener("click", signOut);
if (token) signedIn();
