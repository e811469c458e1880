/// The dashboard's script and style sheet, served from the service (the page's Content
/// Security Policy allows no inline code). Plain JavaScript, no build step.
enum DashboardAssets {
    static let script = #"""
        "use strict";
        // Buttons with data-post make an authenticated POST (the login cookie, same origin only);
        // a run's page streams its log and refreshes its stages while it runs.

        function notice(text, isError) {
          const box = document.getElementById("notice");
          box.textContent = text;
          box.className = isError ? "error" : "";
          box.hidden = false;
        }

        function send(url, body, method) {
          return fetch(url, {
            method: method || "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json" }, body: body,
          });
        }

        async function post(button) {
          if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
          button.disabled = true;
          try {
            let response = await send(button.dataset.post, button.dataset.body || "{}", button.dataset.method);
            if (response.status === 401) {
              location.href = "/login?next=" + encodeURIComponent(location.pathname);
              return;
            }
            let reply = await response.json().catch(() => ({}));
            // The branch head already ran: running it again is a second, deliberate click.
            if (response.status === 409 && reply.field === "commit"
                && window.confirm("The latest commit already has a run. Run it again?")) {
              response = await send(button.dataset.post, JSON.stringify({ force: true }));
              reply = await response.json().catch(() => ({}));
            }
            if (!response.ok) throw new Error(reply.error || response.statusText);
            if (reply.run) location.href = "/runs/" + reply.run;
            else location.reload();
          } catch (error) {
            notice(error.message, true);
            button.disabled = false;
          }
        }

        document.addEventListener("click", (event) => {
          const button = event.target.closest("button[data-post]");
          if (!button) return;
          event.preventDefault();
          post(button);
        });

        // A pipeline's secret form: the value goes as the body of PUT /api/secrets/NAME.
        document.addEventListener("submit", async (event) => {
          const form = event.target.closest("form[data-secret-url]");
          if (!form) return;
          event.preventDefault();
          const button = form.querySelector("button");
          button.disabled = true;
          try {
            const url = form.dataset.secretUrl + encodeURIComponent(form.elements.namedItem("name").value) + form.dataset.secretQuery;
            const response = await fetch(url, {
              method: "PUT", credentials: "same-origin",
              headers: { "Content-Type": "text/plain; charset=utf-8" }, body: form.elements.namedItem("value").value,
            });
            if (response.status === 401) {
              location.href = "/login?next=" + encodeURIComponent(location.pathname);
              return;
            }
            const reply = await response.json().catch(() => ({}));
            if (!response.ok) throw new Error(reply.error || response.statusText);
            location.reload();
          } catch (error) {
            notice(error.message, true);
            button.disabled = false;
          }
        });

        // Live pages: a change on the page's event stream fetches the page again and swaps in
        // each part marked data-live whose markup changed (the server renders and escapes it,
        // as on the first load); a page whose set of parts changed (a new pipeline) is swapped whole.
        let refreshing = null, refreshAgain = false, refreshTimer = 0;

        function liveParts(root) {
          const parts = new Map();
          for (const element of root.querySelectorAll("[data-live]")) parts.set(element.dataset.live, element);
          return parts;
        }

        async function refresh() {
          if (refreshing) { refreshAgain = true; return; }
          refreshing = (async () => {
            const response = await fetch(location.pathname + location.search, { credentials: "same-origin", headers: { Accept: "text/html" } });
            // A login that ended (the page would come back as the login form) leaves the page as it is.
            if (!response.ok || response.redirected) return;
            const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
            const now = liveParts(document), next = liveParts(fresh);
            const sameSet = now.size === next.size && [...now.keys()].every((key) => next.has(key));
            const main = document.getElementById("main"), freshMain = fresh.getElementById("main");
            if (!sameSet && !document.getElementById("log") && main && freshMain) {
              main.replaceChildren(...freshMain.childNodes);
            } else {
              for (const [key, element] of now) {
                const replacement = next.get(key);
                if (!replacement || replacement.outerHTML === element.outerHTML) continue;
                // Keyboard focus stays on the same button or link when its part is swapped.
                const focused = element.contains(document.activeElement) ? document.activeElement : null;
                element.replaceWith(replacement);
                const again = focused && (focused.dataset.post
                  ? replacement.querySelector('[data-post="' + CSS.escape(focused.dataset.post) + '"]')
                  : focused.getAttribute("href") && replacement.querySelector('[href="' + CSS.escape(focused.getAttribute("href")) + '"]'));
                if (again) again.focus();
              }
            }
            document.dispatchEvent(new CustomEvent("slipway:refreshed"));
          })().catch(() => {}).finally(() => {
            refreshing = null;
            if (refreshAgain) { refreshAgain = false; scheduleRefresh(); }
          });
        }

        function scheduleRefresh() {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(refresh, 150);
        }

        function followPage(url) {
          const source = new EventSource(url);
          // Also on every (re)connect: whatever changed before the stream was open is picked up.
          for (const name of ["open", "run", "audit"]) source.addEventListener(name, scheduleRefresh);
        }

        document.addEventListener("DOMContentLoaded", () => {
          const log = document.getElementById("log");
          if (log) new LogViewer(log).start();
          const main = document.getElementById("main");
          if (main && main.dataset.events) followPage(main.dataset.events);
        });
        """# + logViewer

    /// Colours for ANSI codes 30–37 and 90–97 (and their backgrounds), on the log's dark background.
    static let ansiColours = ["#6e7681", "#ff7b72", "#7ee787", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#e6edf3"]

    static let ansiStyle: String = (0..<8).map { i in
        ".ansi-\(30 + i) { color: \(ansiColours[i]); } .ansi-\(90 + i) { color: \(ansiColours[i]); filter: brightness(1.2); } "
            + ".ansi-bg-\(40 + i), .ansi-bg-\(100 + i) { background: \(ansiColours[i]); color: #0d1117; }"
    }.joined(separator: "\n")

    static let style = """
        :root { --fg: #1d232a; --muted: #5b6773; --line: #d9dee3; --accent: #1f6feb; --bad: #c62828; --good: #2e7d32; --focus: #bf5af2; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f8fa; }
        header { display: flex; flex-wrap: wrap; gap: 4px 16px; justify-content: space-between; align-items: center; padding: 10px 24px; background: #1d232a; }
        header a, header button.link { color: #fff; text-decoration: none; }
        header nav { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 16px; } header form { display: inline; }
        .brand { font-weight: 700; }
        .skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; z-index: 10; background: #fff; padding: 4px 8px; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; overflow-wrap: break-word; }
        section, .target { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
        .target { margin: 12px 0 0; }
        h1 a, h2 a { color: inherit; } h3 button { font-weight: normal; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin: 4px 0 8px; } h3 { font-size: 15px; margin: 4px 0 8px; }
        table { border-collapse: collapse; width: 100%; }
        caption { text-align: left; color: var(--muted); font-size: 13px; padding: 2px 0; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: 13px; }
        tr.current td { font-weight: 600; }
        td.actions { white-space: nowrap; }
        code { font: 13px ui-monospace, monospace; }
        .meta, .empty { color: var(--muted); }
        .waiting { background: #fff8c5; border-radius: 6px; padding: 6px 10px; }
        pre { background: #0d1117; color: #e6edf3; padding: 12px; border-radius: 6px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
        pre.message { background: #fff; color: var(--fg); border: 1px solid var(--line); }
        pre.commands { white-space: pre; }
        button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; min-height: 32px; }
        button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button.danger { color: var(--bad); } button.link { background: none; border: 0; padding: 0; min-height: 0; }
        button:disabled { opacity: .5; cursor: wait; }
        .status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; background: #eaeef2; }
        .status.succeeded { background: #dafbe1; color: var(--good); } .status.failed, .status.interrupted { background: #ffebe9; color: var(--bad); }
        .status.running, .status.queued { background: #ddf4ff; color: var(--accent); } .status.waiting_approval { background: #fff8c5; }
        .error { color: var(--bad); }
        #notice { position: fixed; bottom: 16px; right: 16px; left: 16px; margin-left: auto; max-width: 480px; background: #fff; border: 1px solid var(--line); padding: 8px 12px; border-radius: 6px; }
        form.secret label, form.login label { display: block; margin: 8px 0; }
        form.secret input, form.login input { font: inherit; padding: 4px 8px; max-width: 100%; }
        form.login input[type=password] { width: 28em; } label.check input { width: auto; }
        .log-tools { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin-bottom: 8px; }
        .log-tools input[type=search] { font: inherit; padding: 3px 8px; width: 16em; max-width: 60vw; }
        .log { position: relative; height: 70vh; min-height: 240px; overflow: auto; background: #0d1117; color: #e6edf3; border-radius: 6px;
               font: 13px/20px ui-monospace, monospace; }
        .log-spacer { position: relative; min-width: 100%; width: max-content; }
        .log-rows { position: absolute; top: 0; left: 0; min-width: 100%; }
        .log-line, .log-head { height: 20px; white-space: pre; padding-right: 12px; }
        .log-line .ln { display: inline-block; width: 7ch; padding-right: 1ch; margin-right: 1ch; text-align: right; color: #6e7681; text-decoration: none;
                        user-select: none; border-right: 1px solid #30363d; }
        .log-line .ln:hover { color: #e6edf3; }
        .log-line.target { background: #3b2e00; } .log-line.target .ln { color: #e3b341; font-weight: 700; }
        .log-line.fail { background: #4a1016; } .log-line.fail .text { color: #ffb3ad; font-weight: 700; }
        .log-line.match { background: #1c2d4a; } .log-line.match.current { background: #2a4a7f; }
        .log-head { background: #161b22; border-top: 1px solid #30363d; }
        .log-head button { background: none; border: 0; color: #e6edf3; font: inherit; padding: 0 8px; min-height: 0; height: 19px; cursor: pointer; }
        .log-head.failed button { color: #ff7b72; font-weight: 700; }
        .log-head .meta { color: #8b949e; }
        .log-empty { padding: 8px 12px; color: #8b949e; font-family: system-ui, sans-serif; }
        .ansi-bold { font-weight: 700; }
        \(ansiStyle)
        @media (max-width: 640px) {
          header { padding: 8px 12px; }
          main { padding: 8px 10px 32px; }
          section, .target { padding: 10px; }
          thead { display: none; }
          table, tbody, tr { display: block; }
          tr { border-bottom: 1px solid var(--line); padding: 4px 0; }
          td { display: inline-block; border: 0; padding: 2px 6px; }
          td.actions { display: block; white-space: normal; }
          td.actions button, p.actions button, p.latest button { min-height: 40px; margin: 4px 4px 0 0; }
          .log { height: 60vh; }
          .log-line .ln { width: 6ch; }
          form.login input[type=password] { width: 100%; }
        }
        """
}
