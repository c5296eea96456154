/// The one script `serve` sends (same origin, so the CSP allows it with `script-src 'self'`).
/// It polls `/api/images/{id}` for every card still pending or processing, backing off from 1 s
/// to 15 s, and updates the card in place when a task finishes. Pages work without it.
enum WebAssets {
    static let galleryScript = """
        "use strict";
        (function () {
          const finished = (s) => s === "completed" || s === "failed";
          function text(tag, cls, value) {
            const el = document.createElement(tag);
            el.className = cls;
            el.textContent = value;
            return el;
          }
          function update(card, record) {
            for (const task of ["annotation", "thumbnail"]) {
              const status = record[task + "_status"];
              card.dataset[task] = status;
              const span = card.querySelector('[data-task="' + task + '"]');
              if (span) { span.textContent = status; span.className = "status-" + status; }
            }
            const body = card.querySelector(".body");
            if (record.annotation && !card.querySelector(".caption")) {
              body.insertBefore(text("p", "caption", record.annotation), body.children[1] || null);
            }
            if (record.tags && record.tags.length && !card.querySelector(".tags")) {
              const list = document.createElement("ul");
              list.className = "tags";
              for (const tag of record.tags) list.appendChild(text("li", "", tag));
              body.insertBefore(list, card.querySelector(".status"));
            }
            for (const task of ["annotation", "thumbnail"]) {
              const error = record[task + "_error"];
              if (record[task + "_status"] === "failed" && error) body.appendChild(text("span", "error", task + ": " + error));
            }
            if (record.thumbnail_status === "completed" && !card.querySelector("img")) {
              const link = card.querySelector("a.thumb");
              const img = document.createElement("img");
              img.src = "/media/" + record.id + "/thumbnail";
              img.alt = record.annotation || record.filename;
              img.loading = "lazy";
              link.replaceChildren(img);
            }
          }
          function watch(card) {
            let delay = 1000;
            const poll = () => {
              fetch("/api/images/" + card.dataset.id, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
                .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
                .then((record) => {
                  update(card, record);
                  if (!(finished(record.annotation_status) && finished(record.thumbnail_status))) schedule();
                })
                .catch(() => schedule());
            };
            const schedule = () => { setTimeout(poll, delay); delay = Math.min(delay * 1.5, 15000); };
            schedule();
          }
          for (const card of document.querySelectorAll("li.card[data-id]")) {
            if (!(finished(card.dataset.annotation) && finished(card.dataset.thumbnail))) watch(card);
          }
        })();
        """
}
