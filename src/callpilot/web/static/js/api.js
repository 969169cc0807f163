// Requests to callpilot's own API, signed in by the session cookie (see callpilot/web/session.py).

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && data.detail !== undefined ? data.detail : response.statusText;
    throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return data;
}

// Signed in already, or by a key in the URL fragment (#key=..., which the demo prints: a fragment is never
// sent to a server or written to its logs), or by asking in the sign-in dialog.
// Resolves to the session status (heartbeat_seconds: how often an idle stream hears from the server).
// One sign-in at a time: a stream refused and a request refused at the same moment share the dialog.
let signingIn = null;

export function signIn() {
  if (!signingIn) signingIn = doSignIn().finally(() => { signingIn = null; });
  return signingIn;
}

async function doSignIn() {
  const status = await api("/web/session");
  if (status.signed_in) return status;
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromUrl) {
    history.replaceState(null, "", location.pathname + location.search);
    try {
      await api("/web/session", { method: "POST", body: { api_key: fromUrl } });
      return status;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
  }
  await askForKey();
  return status;
}

function askForKey() {
  const dialog = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  const input = document.getElementById("signin-key");
  const problem = document.getElementById("signin-error");
  if (!dialog.dataset.ready) {
    dialog.addEventListener("cancel", (event) => event.preventDefault()); // Escape would leave no way back
    dialog.dataset.ready = "1";
  }
  problem.textContent = "";
  dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    form.addEventListener("submit", async function submit(event) {
      event.preventDefault();
      try {
        await api("/web/session", { method: "POST", body: { api_key: input.value } });
        form.removeEventListener("submit", submit);
        dialog.close();
        resolve();
      } catch (error) {
        problem.textContent = error instanceof ApiError && error.status === 401
          ? "That key is not right." : `Could not sign in: ${error.message}`;
      }
    });
  });
}
