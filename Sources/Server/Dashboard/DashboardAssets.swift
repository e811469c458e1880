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

        function setStatus(span, status) {
          span.textContent = status.replace("_", " ");
          span.className = "status " + status;
        }

        async function refreshRun(id, wasFinal) {
          const response = await fetch("/api/runs/" + id, { credentials: "same-origin" });
          if (!response.ok) return;
          const run = await response.json();
          for (const stage of run.stages) {
            const row = document.querySelector('tr[data-stage="' + CSS.escape(stage.name) + '"] .status');
            if (row) setStatus(row, stage.status);
          }
          setStatus(document.querySelector("#run-status .status"), run.status);
          const final = !["queued", "running", "waiting_approval"].includes(run.status);
          if (final && !wasFinal) location.reload();
        }

        function followLog(log) {
          const wasFinal = document.getElementById("run-status").dataset.final === "true";
          const source = new EventSource(log.dataset.stream);
          source.addEventListener("log", (event) => {
            const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
            log.append(JSON.parse(event.data).text);
            if (atBottom) log.scrollTop = log.scrollHeight;
          });
          source.addEventListener("end", () => {
            source.close();
            if (!wasFinal) refreshRun(log.dataset.run, wasFinal);
          });
          if (!wasFinal) {
            const timer = setInterval(() => refreshRun(log.dataset.run, wasFinal).catch(() => {}), 2000);
            source.addEventListener("end", () => clearInterval(timer));
          }
        }

        document.addEventListener("DOMContentLoaded", () => {
          const log = document.getElementById("log");
          if (log) followLog(log);
        });
        """#

    static let style = """
        :root { --fg: #1d232a; --muted: #5b6773; --line: #d9dee3; --accent: #1f6feb; --bad: #c62828; --good: #2e7d32; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f8fa; }
        header { display: flex; justify-content: space-between; align-items: center; padding: 10px 24px; background: #1d232a; }
        header a, header button.link { color: #fff; text-decoration: none; margin-left: 16px; }
        header nav { display: flex; align-items: center; } header form { display: inline; }
        .brand { font-weight: 700; margin-left: 0; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
        section, .target { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
        .target { margin: 12px 0 0; }
        h1 a { color: inherit; } table + h2 { margin-top: 20px; } h3 button { font-weight: normal; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin: 4px 0 8px; } h3 { font-size: 15px; margin: 4px 0 8px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: 13px; }
        tr.current td { font-weight: 600; }
        code { font: 13px ui-monospace, monospace; }
        .meta, .empty { color: var(--muted); }
        pre { background: #0d1117; color: #e6edf3; padding: 12px; border-radius: 6px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
        pre#log { min-height: 120px; max-height: 520px; }
        pre.message { background: #fff; color: var(--fg); border: 1px solid var(--line); }
        button { font: inherit; padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
        button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        button.danger { color: var(--bad); } button.link { background: none; border: 0; padding: 0; }
        button:disabled { opacity: .5; cursor: wait; }
        .status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; background: #eaeef2; }
        .status.succeeded { background: #dafbe1; color: var(--good); } .status.failed, .status.interrupted { background: #ffebe9; color: var(--bad); }
        .status.running, .status.queued { background: #ddf4ff; color: var(--accent); } .status.waiting_approval { background: #fff8c5; }
        .error { color: var(--bad); }
        #notice { position: fixed; bottom: 16px; right: 16px; background: #fff; border: 1px solid var(--line); padding: 8px 12px; border-radius: 6px; }
        form.secret label { display: block; margin: 8px 0; } form.secret input { font: inherit; padding: 4px 8px; }
        form.login label { display: block; margin: 8px 0; } form.login input { font: inherit; padding: 4px 8px; width: 28em; max-width: 100%; }
        """
}
