extension DashboardAssets {
    /// The run log viewer. The log is read in byte ranges (`logs/range`: a JSON head naming
    /// which stage wrote each stretch, then the raw text), then followed live (`logs/stream`,
    /// whose `run` events also refresh the page's live parts). Lines are grouped into sections
    /// by stage and buildspec phase (`Entering phase BUILD`), and only the rows in view exist in
    /// the document, so a log of any length opens and scrolls at once. Text is only ever set as
    /// text (ANSI colours become class names), never parsed as markup.
    static let logViewer = #"""

        // The first range is small, so the first lines are on screen at once; the rest comes in large ones.
        const ROW = 20, FIRST = 256 << 10, PAGE = 8 << 20;
        const ANSI = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]/g;

        // Text with ANSI colour codes as spans with classes; other control sequences, C1
        // controls and bidirectional overrides (which could make a line read as another) are dropped.
        function ansi(text, into) {
          if (!/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(text)) { into.textContent = text; return; }
          let fg = 0, bg = 0, bold = false, last = 0, match;
          const put = (piece) => {
            if (!piece) return;
            if (!fg && !bg && !bold) { into.append(piece); return; }
            const span = document.createElement("span");
            span.className = [fg ? "ansi-" + fg : "", bg ? "ansi-bg-" + bg : "", bold ? "ansi-bold" : ""].join(" ").trim();
            span.textContent = piece;
            into.append(span);
          };
          ANSI.lastIndex = 0;
          while ((match = ANSI.exec(text))) {
            put(text.slice(last, match.index));
            last = ANSI.lastIndex;
            if (match[2] !== "m") continue;
            const codes = match[1] === "" ? [0] : match[1].split(";").map(Number);
            for (let k = 0; k < codes.length; k++) {
              const c = codes[k];
              if (c === 0) { fg = 0; bg = 0; bold = false; }
              else if (c === 1) bold = true;
              else if (c === 22) bold = false;
              else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) fg = c;
              else if (c === 39) fg = 0;
              else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) bg = c;
              else if (c === 49) bg = 0;
              else if (c === 38 || c === 48) k += codes[k + 1] === 5 ? 2 : codes[k + 1] === 2 ? 4 : 0;
            }
          }
          put(text.slice(last));
        }

        class LogViewer {
          constructor(box) {
            this.box = box;
            this.rows = box.querySelector(".log-rows");
            this.spacer = box.querySelector(".log-spacer");
            this.lines = [];
            this.sections = [];
            this.order = [];
            this.failLines = new Set();
            this.partial = "";
            this.partialStage = "";
            this.offset = 0;
            this.target = -1;
            this.matches = [];
            this.matchSet = new Set();
            this.matchAt = -1;
            this.lastTop = 0;
            this.first = -1;
            this.last = -1;
            this.readStatus();
            this.follow = document.getElementById("log-follow");
            this.follow.checked = !this.final;
            this.decoder = new TextDecoder();
            box.viewer = this;
          }

          // The run's status and failed stages, from the live page header.
          readStatus() {
            const status = document.getElementById("run-status");
            this.final = status ? status.dataset.final === "true" : true;
            this.failedStages = new Set(status ? JSON.parse(status.dataset.failedStages || "[]") : []);
          }

          start() {
            this.box.addEventListener("scroll", () => this.scrolled(), { passive: true });
            this.box.addEventListener("click", (event) => {
              const button = event.target.closest("button[data-section]");
              if (button) this.toggle(Number(button.dataset.section));
            });
            window.addEventListener("resize", () => this.render(true));
            window.addEventListener("hashchange", () => this.goToHash());
            document.addEventListener("slipway:refreshed", () => {
              this.readStatus();
              this.rebuild();
            });
            const search = document.getElementById("log-search");
            let timer = 0;
            search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => this.search(search.value), 200); });
            search.addEventListener("keydown", (event) => {
              if (event.key !== "Enter") return;
              event.preventDefault();
              clearTimeout(timer);
              if (search.value !== this.query) this.search(search.value);
              else this.step(event.shiftKey ? -1 : 1);
            });
            document.getElementById("log-next").addEventListener("click", () => this.step(1));
            document.getElementById("log-prev").addEventListener("click", () => this.step(-1));
            this.follow.addEventListener("change", () => { if (this.follow.checked) this.toBottom(); });
            this.load().catch((error) => notice("The log could not be read: " + error.message, true));
          }

          // One range; the next is asked for while this one is split into lines.
          async fetchRange(after, limit) {
            const response = await fetch(this.box.dataset.range + "?after=" + after + "&limit=" + limit, { credentials: "same-origin" });
            if (!response.ok) throw new Error(response.statusText);
            const bytes = new Uint8Array(await response.arrayBuffer());
            const end = bytes.indexOf(10);
            return { head: JSON.parse(this.decoder.decode(bytes.subarray(0, end))), bytes, at: end + 1 };
          }

          async load() {
            let range = await this.fetchRange(this.offset, FIRST), limit = FIRST;
            for (;;) {
              const { head, bytes } = range;
              const done = head.next - head.after < limit;
              limit = PAGE;
              const next = done ? null : this.fetchRange(head.next, limit);
              let at = range.at;
              for (const part of head.parts) {
                this.append(part.stage, this.decoder.decode(bytes.subarray(at, at + part.size)));
                at += part.size;
              }
              this.offset = head.next;
              if (done) break;
              // The first range is shown while the rest arrives.
              if (!this.order.length) this.opened();
              range = await next;
            }
            if (this.final) this.flush();
            if (!this.order.length) this.opened();
            else this.rebuild();
            this.box.dataset.state = "ready";
            this.render(true);
            this.box.dataset.readyMs = String(Math.round(performance.now()));
            if (!this.goToHash() && this.follow.checked) this.toBottom();
            this.stream();
          }

          // The first lines are on screen (data-opened-ms: when, from the navigation's start).
          opened() {
            this.rebuild();
            this.box.dataset.openedMs = String(Math.round(performance.now()));
          }

          stream() {
            const url = this.box.dataset.stream + "?after=" + this.offset;
            const source = new EventSource(url);
            let pending = false;
            source.addEventListener("log", (event) => {
              const chunk = JSON.parse(event.data);
              let text = chunk.text;
              const end = Number(event.lastEventId);
              if (end <= this.offset) return;
              if (chunk.offset < this.offset) {
                text = this.decoder.decode(new TextEncoder().encode(text).subarray(this.offset - chunk.offset));
              }
              this.offset = end;
              this.append(chunk.stage, text);
              if (!pending) {
                pending = true;
                setTimeout(() => { pending = false; this.grew(); }, 100);
              }
            });
            for (const name of ["open", "run"]) source.addEventListener(name, scheduleRefresh);
            source.addEventListener("end", () => {
              source.close();
              this.flush();
              this.grew();
              scheduleRefresh();
            });
          }

          grew() {
            this.rebuild();
            if (this.follow.checked) this.toBottom();
            const live = document.getElementById("log-live");
            const now = Date.now();
            if (live && this.lines.length && (!this.announced || now - this.announced > 2000)) {
              this.announced = now;
              live.textContent = this.lines[this.lines.length - 1].replace(ANSI, "");
            }
          }

          append(stage, text) {
            if (this.partial && this.partialStage !== stage) this.flush();
            let data = this.partial + text, start = 0;
            this.partial = "";
            for (;;) {
              const newline = data.indexOf("\n", start);
              if (newline < 0) break;
              this.addLine(stage, data.charCodeAt(newline - 1) === 13 ? data.slice(start, newline - 1) : data.slice(start, newline));
              start = newline + 1;
            }
            if (start < data.length) {
              this.partial = data.slice(start);
              this.partialStage = stage;
            }
          }

          flush() {
            if (this.partial) this.addLine(this.partialStage, this.partial);
            this.partial = "";
          }

          addLine(stage, text) {
            const index = this.lines.length;
            let section = this.sections[this.sections.length - 1];
            let phase = null, marker = text.startsWith("[Container] ");
            if (marker) {
              const entering = /Entering phase (\w+)/.exec(text);
              if (entering) phase = entering[1];
            }
            if (!section || section.stage !== stage || phase) {
              section = { stage, phase: phase || (section && section.stage === stage ? section.phase : null), start: index, end: index,
                          failed: false, open: null };
              this.sections.push(section);
            }
            if (marker) {
              const failed = /Command did not exit successfully (.*) exit status \d+$/.exec(text);
              if (failed) {
                section.failed = true;
                this.failLines.add(index);
                const running = "Running command " + failed[1];
                for (let k = index - 1; k >= section.start; k--) {
                  if (this.lines[k].endsWith(running)) { this.failLines.add(k); break; }
                }
              } else if (/Phase complete: \w+ State: FAILED/i.test(text)) {
                section.failed = true;
              }
            }
            this.lines.push(text);
            section.end = index + 1;
          }

          isFailed(section) {
            if (section.failed) return true;
            if (!this.failedStages.has(section.stage)) return false;
            // A failed stage with no failing phase of its own: its last section.
            const same = this.sections.filter((other) => other.stage === section.stage);
            return !same.some((other) => other.failed) && same[same.length - 1] === section;
          }

          isOpen(section) {
            if (section.open !== null) return section.open;
            // A finished run that failed opens the failing sections only.
            if (!this.final || this.failedStages.size === 0) return true;
            return this.isFailed(section);
          }

          rebuild() {
            const order = [];
            this.sections.forEach((section, index) => {
              order.push(-(index + 1));
              if (this.isOpen(section)) for (let line = section.start; line < section.end; line++) order.push(line);
            });
            this.order = order;
            this.spacer.style.height = order.length * ROW + "px";
            document.getElementById("log-count").textContent = this.lines.length.toLocaleString("en") + " lines";
            this.box.dataset.lines = String(this.lines.length);
            this.render(true);
          }

          scrolled() {
            const top = this.box.scrollTop;
            if (top < this.lastTop - 4 && this.follow.checked) this.follow.checked = false;
            this.lastTop = top;
            if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(false); });
          }

          render(force) {
            const top = this.box.scrollTop, height = this.box.clientHeight || 600;
            const first = Math.max(0, Math.floor(top / ROW) - 30);
            const last = Math.min(this.order.length, Math.ceil((top + height) / ROW) + 30);
            if (!force && first === this.first && last === this.last) return;
            this.first = first;
            this.last = last;
            const rows = document.createDocumentFragment();
            for (let r = first; r < last; r++) rows.append(this.row(this.order[r]));
            if (!this.order.length && this.box.dataset.state === "ready") {
              const empty = document.createElement("div");
              empty.className = "log-empty";
              empty.textContent = this.final ? "This run wrote no log." : "No output yet: lines appear here as the run writes them.";
              rows.append(empty);
            }
            this.rows.replaceChildren(rows);
            this.rows.style.transform = "translateY(" + first * ROW + "px)";
          }

          row(item) {
            const row = document.createElement("div");
            if (item < 0) {
              const index = -item - 1, section = this.sections[index], open = this.isOpen(section), failed = this.isFailed(section);
              row.className = "log-head" + (failed ? " failed" : "");
              const button = document.createElement("button");
              button.type = "button";
              button.dataset.section = String(index);
              button.setAttribute("aria-expanded", String(open));
              button.textContent = (open ? "▾ " : "▸ ") + section.stage + (section.phase ? " · " + section.phase : "");
              const meta = document.createElement("span");
              meta.className = "meta";
              meta.textContent = (section.end - section.start).toLocaleString("en") + " lines" + (failed ? " · failed" : "");
              row.append(button, meta);
              return row;
            }
            const number = item + 1;
            row.id = "L" + number;
            row.className = "log-line" + (item === this.target ? " target" : "") + (this.failLines.has(item) ? " fail" : "")
              + (this.matchSet.has(item) ? (item === this.matches[this.matchAt] ? " match current" : " match") : "");
            const link = document.createElement("a");
            link.href = "#L" + number;
            link.className = "ln";
            link.textContent = String(number);
            const text = document.createElement("span");
            text.className = "text";
            ansi(this.lines[item], text);
            row.append(link, text);
            return row;
          }

          toggle(index) {
            const section = this.sections[index];
            section.open = !this.isOpen(section);
            this.rebuild();
          }

          // Opens the line's section and scrolls it into the middle of the view.
          show(line) {
            const section = this.sections.find((s) => line >= s.start && line < s.end);
            if (section && !this.isOpen(section)) {
              section.open = true;
              this.rebuild();
            }
            const at = this.order.indexOf(line);
            if (at < 0) return;
            const top = Math.max(0, at * ROW - (this.box.clientHeight - ROW) / 2);
            if (top < this.box.scrollTop) this.follow.checked = false;
            this.box.scrollTop = top;
            this.lastTop = this.box.scrollTop;
            this.render(true);
          }

          goToHash() {
            const match = /^#L(\d+)$/.exec(location.hash);
            if (!match) return false;
            const line = Number(match[1]) - 1;
            if (line < 0 || line >= this.lines.length) return false;
            this.target = line;
            this.follow.checked = false;
            this.show(line);
            return true;
          }

          toBottom() {
            this.box.scrollTop = this.box.scrollHeight;
            this.lastTop = this.box.scrollTop;
            this.render(false);
          }

          search(query) {
            this.query = query;
            this.matches = [];
            const needle = query.toLowerCase();
            if (needle) {
              for (let i = 0; i < this.lines.length; i++) if (this.lines[i].toLowerCase().includes(needle)) this.matches.push(i);
            }
            this.matchSet = new Set(this.matches);
            this.matchAt = -1;
            if (this.matches.length) this.step(1);
            else {
              document.getElementById("log-matches").textContent = needle ? "no matches" : "";
              this.render(true);
            }
          }

          step(direction) {
            if (!this.matches.length) return;
            this.matchAt = (this.matchAt + direction + this.matches.length) % this.matches.length;
            document.getElementById("log-matches").textContent = (this.matchAt + 1) + " of " + this.matches.length;
            this.follow.checked = false;
            this.show(this.matches[this.matchAt]);
          }
        }
        """#
}
