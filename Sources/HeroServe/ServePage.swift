import HeroReport

/// The page `GET /` serves: a Mustache template sharing the report's style; its script
/// uploads each chosen clip to `POST /jobs`, polls `GET /jobs/ID` for progress and shows the
/// finished clip with `GET /jobs/ID/view` (the report's `clip` fragment).
enum ServePage {
  struct View {
    var model: String
    var maxUploadMB: Int
    var concurrentJobs: Int
    var queueLength: Int
  }

  static func render(options: ServeOptions, model: String) throws -> String {
    let library = try ReportTemplates.library(adding: ["serve": template])
    let view = View(
      model: model, maxUploadMB: options.maxUploadBytes / (1024 * 1024),
      concurrentJobs: options.concurrentJobs, queueLength: options.queueLength)
    guard let html = library.render(view, withTemplate: "serve") else {
      throw ReportError.template(name: "serve", reason: "not registered")
    }
    return html
  }

  static let template = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>hero-id</title>
    <style>
    {{> style}}
    .upload { border: 2px dashed var(--line); border-radius: 8px; padding: 14px; margin: 10px 0; }
    .job { border-left: 4px solid var(--line); padding: 4px 10px; margin: 12px 0; }
    .job.done { border-left-color: var(--known); } .job.failed { border-left-color: var(--failed); }
    .job progress { width: 320px; vertical-align: middle; }
    .job .result .clip { border: none; padding: 0; margin: 0; }
    .job .result .clip > h3, .job .result .clip > .path { display: none; }
    </style>
    </head>
    <body>
    <header>
    <h1>hero-id</h1>
    <p class="meta">Which hero is the player controlling? Model: <code>{{model}}</code>. Clips stay on this machine and are deleted once identified.</p>
    </header>
    <form class="upload" id="upload-form">
    <label for="clips">Gameplay clips (landscape video):</label>
    <input type="file" id="clips" name="clips" accept="video/*,.mp4,.mkv,.mov,.webm" multiple>
    <button type="submit" id="identify">Identify</button>
    <p class="note">Up to {{maxUploadMB}} MB a clip; {{concurrentJobs}} identified at a time, {{queueLength}} more may wait.</p>
    </form>
    <section id="jobs"></section>
    <script>
    "use strict";
    const jobs = document.getElementById("jobs");
    function line(card, cls, text) {
      let p = card.querySelector("." + cls);
      if (!p) { p = document.createElement("p"); p.className = cls; card.appendChild(p); }
      p.textContent = text;
      return p;
    }
    async function poll(card, id) {
      for (;;) {
        const r = await fetch("/jobs/" + encodeURIComponent(id), {cache: "no-store"});
        const s = await r.json();
        if (s.status === "done" || s.status === "failed") {
          const view = await fetch("/jobs/" + encodeURIComponent(id) + "/view");
          card.classList.add(s.status);
          card.querySelector(".progress-wrap").remove();
          card.querySelector(".status").remove();
          const holder = document.createElement("div");
          holder.className = "result";
          holder.innerHTML = await view.text();
          card.appendChild(holder);
          card.dataset.status = s.status;
          return;
        }
        const p = s.progress || {};
        const bar = card.querySelector("progress");
        if (p.fraction !== undefined) { bar.value = p.fraction; } else { bar.removeAttribute("value"); }
        line(card, "status", s.status + (p.frames ? ": " + p.frames + " key frames read, " + p.seconds.toFixed(1) + " s" + (p.duration ? " of " + p.duration.toFixed(1) + " s" : "") : ""));
        await new Promise(ok => setTimeout(ok, 300));
      }
    }
    async function send(file) {
      const card = document.createElement("div");
      card.className = "job";
      const title = document.createElement("h3");
      title.textContent = file.name;
      card.appendChild(title);
      const wrap = document.createElement("div");
      wrap.className = "progress-wrap";
      wrap.appendChild(document.createElement("progress"));
      card.appendChild(wrap);
      jobs.prepend(card);
      line(card, "status", "uploading " + (file.size / 1048576).toFixed(1) + " MB");
      // Busy (503): wait the Retry-After the server works out, then try again (20 times).
      let r, answer;
      for (let tries = 1; ; tries++) {
        r = await fetch("/jobs?name=" + encodeURIComponent(file.name), {method: "POST", body: file});
        answer = await r.json();
        const wait = parseInt(r.headers.get("Retry-After") || "", 10);
        if (r.status !== 503 || !(wait > 0) || tries >= 20) { break; }
        line(card, "status", "server busy: trying again in " + wait + " s");
        await new Promise(ok => setTimeout(ok, wait * 1000));
      }
      if (r.status !== 202) {
        card.classList.add("failed");
        card.dataset.status = "refused";
        wrap.remove();
        line(card, "error", answer.error || ("HTTP " + r.status));
        return;
      }
      card.dataset.job = answer.id;
      await poll(card, answer.id);
    }
    document.getElementById("upload-form").addEventListener("submit", ev => {
      ev.preventDefault();
      for (const file of document.getElementById("clips").files) { send(file); }
    });
    </script>
    </body>
    </html>

    """
}
