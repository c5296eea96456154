/// The HTML of the gallery, shared by `gallery-export` (static files) and `serve` (routes): both
/// hand the same views to these templates with their own URLs. Mustache's `{{…}}` escapes
/// everything user-supplied (`< > & " '`); `{{{body}}}` only ever holds our own rendered HTML.
package enum GalleryTemplates {
    /// The one style sheet: inline in an export, so it opens from file:// alone; `serve` links it
    /// from /assets/gallery.css, which browsers cache.
    package static let style = """
        :root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6e6e73; --bg: #fafafa; --card: #fff; --line: #e3e3e6;
                --ok: #1b7f3b; --bad: #b3261e; --wait: #8a6d00; }
        @media (prefers-color-scheme: dark) { :root { --fg: #f2f2f2; --muted: #a1a1a6; --bg: #161617; --card: #222224; --line: #38383a;
                --ok: #5fd07f; --bad: #ff8a80; --wait: #e6c34d; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 16px; }
        header { display: flex; align-items: baseline; gap: 16px; padding-top: 20px; }
        header h1 { font-size: 22px; margin: 0; }
        header h1 a { color: inherit; text-decoration: none; }
        header p { margin: 0; color: var(--muted); }
        .grid { list-style: none; padding: 0; display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; display: flex; flex-direction: column; }
        .card a.thumb { display: flex; align-items: center; justify-content: center; height: 160px; background: var(--line); }
        .card img { max-width: 100%; max-height: 160px; }
        .card .body { padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; }
        .name { font-weight: 600; overflow-wrap: anywhere; }
        .caption { margin: 0; }
        .tags { display: flex; flex-wrap: wrap; gap: 4px; padding: 0; margin: 0; list-style: none; }
        .tags li { font-size: 12px; padding: 1px 8px; border-radius: 999px; border: 1px solid var(--line); color: var(--muted); }
        .status { font-size: 12px; color: var(--muted); }
        .status-completed { color: var(--ok); } .status-failed { color: var(--bad); } .status-pending, .status-processing { color: var(--wait); }
        .error { color: var(--bad); font-size: 13px; overflow-wrap: anywhere; }
        .missing { color: var(--muted); font-size: 13px; }
        nav.pages { display: flex; gap: 12px; justify-content: center; margin: 20px 0; }
        .detail { display: grid; gap: 24px; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); margin-top: 20px; }
        @media (max-width: 800px) { .detail { grid-template-columns: 1fr; } }
        .detail img { max-width: 100%; border-radius: 8px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
        dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
        footer { color: var(--muted); font-size: 12px; padding: 24px 16px; }
        header nav.site { margin-left: auto; display: flex; gap: 14px; }
        form.upload { margin: 24px 0; padding: 24px; border: 2px dashed var(--line); border-radius: 12px; background: var(--card); display: flex; flex-direction: column; gap: 14px; align-items: flex-start; }
        form.upload button { font: inherit; padding: 6px 18px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
        .notice { padding: 10px 14px; border-radius: 8px; border: 1px solid var(--line); background: var(--card); }
        .results { padding-left: 20px; }
        """

    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="same-origin">
        <title>{{title}}</title>
        {{#styleURL}}<link rel="stylesheet" href="{{styleURL}}">{{/styleURL}}{{^styleURL}}<style>{{{style}}}</style>{{/styleURL}}
        </head>
        <body>
        <header><h1><a href="{{homeURL}}">{{siteTitle}}</a></h1><p>{{subtitle}}</p>{{#navigation}}<nav class="site">{{#links}}<a href="{{url}}">{{label}}</a>{{/links}}</nav>{{/navigation}}</header>
        <main>
        {{{body}}}
        </main>
        <footer>{{footer}}</footer>
        {{#scriptURL}}<script src="{{scriptURL}}" defer></script>{{/scriptURL}}
        </body>
        </html>
        """

    /// One image's card in an index page; `index` holds them already rendered, so `serve` can
    /// reuse the cards of records that did not change.
    static let card = """
        <li class="card" id="image-{{id}}" data-id="{{id}}" data-annotation="{{annotationStatus}}" data-thumbnail="{{thumbnailStatus}}">
          <a class="thumb" href="{{pageURL}}">{{#thumbnailURL}}<img src="{{thumbnailURL}}" alt="{{alt}}" loading="lazy">{{/thumbnailURL}}{{^thumbnailURL}}<span class="missing">no thumbnail</span>{{/thumbnailURL}}</a>
          <div class="body">
            <a class="name" href="{{pageURL}}">{{filename}}</a>
            {{#caption}}<p class="caption">{{caption}}</p>{{/caption}}
            {{#hasTags}}<ul class="tags">{{#tags}}<li>{{.}}</li>{{/tags}}</ul>{{/hasTags}}
            <span class="status">annotation <span class="status-{{annotationStatus}}" data-task="annotation">{{annotationStatus}}</span> · thumbnail <span class="status-{{thumbnailStatus}}" data-task="thumbnail">{{thumbnailStatus}}</span></span>
            {{#annotationError}}<span class="error">annotation: {{annotationError}}</span>{{/annotationError}}
            {{#thumbnailError}}<span class="error">thumbnail: {{thumbnailError}}</span>{{/thumbnailError}}
          </div>
        </li>
        """

    static let index = """
        {{^hasImages}}<p class="missing">No images yet.</p>{{/hasImages}}
        <ul class="grid">
        {{{cards}}}
        </ul>
        {{#hasPages}}<nav class="pages">{{#previousURL}}<a href="{{previousURL}}" rel="prev">← newer</a>{{/previousURL}}{{#pageLabel}}<span>{{pageLabel}}</span>{{/pageLabel}}{{#nextURL}}<a href="{{nextURL}}" rel="next">older →</a>{{/nextURL}}</nav>{{/hasPages}}
        """

    static let upload = """
        {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
        {{#hasResults}}<ul class="results">{{#results}}<li>{{#pageURL}}<a href="{{.}}">{{file}}</a>{{/pageURL}}{{^pageURL}}{{file}}{{/pageURL}}: {{status}}{{#reason}} — {{reason}}{{/reason}}</li>{{/results}}</ul>{{/hasResults}}
        <form class="upload" method="post" action="{{actionURL}}" enctype="multipart/form-data">
          <label for="files">Choose images (JPEG, PNG, WebP, GIF, TIFF, HEIC, AVIF; up to {{limit}} at once)</label>
          <input id="files" type="file" name="files" accept="image/*" multiple required>
          <button type="submit">Upload</button>
        </form>
        {{#processing}}<p class="missing">Uploads are annotated and thumbnailed at once; the gallery shows them as they finish.</p>{{/processing}}
        {{^processing}}<p class="missing">This instance only stores uploads; workers elsewhere process them.</p>{{/processing}}
        """

    static let failure = """
        <h2>{{status}}</h2>
        <p class="error">{{message}}</p>
        <p><a href="{{homeURL}}">Back to the start</a></p>
        """

    static let image = """
        {{#image}}
        <div class="detail">
          <div>{{#originalURL}}<a href="{{originalURL}}"><img src="{{originalURL}}" alt="{{alt}}"></a>{{/originalURL}}{{^originalURL}}<p class="missing">The original is not available.</p>{{/originalURL}}</div>
          <div>
            <h2 class="name">{{filename}}</h2>
            {{#caption}}<p class="caption">{{caption}}</p>{{/caption}}
            {{#hasTags}}<ul class="tags">{{#tags}}<li>{{.}}</li>{{/tags}}</ul>{{/hasTags}}
            <dl>
              <dt>annotation</dt><dd class="status-{{annotationStatus}}">{{annotationStatus}}</dd>
              {{#annotationError}}<dt>annotation error</dt><dd class="error">{{annotationError}}</dd>{{/annotationError}}
              <dt>thumbnail</dt><dd class="status-{{thumbnailStatus}}">{{thumbnailStatus}}</dd>
              {{#thumbnailError}}<dt>thumbnail error</dt><dd class="error">{{thumbnailError}}</dd>{{/thumbnailError}}
              {{#model}}<dt>annotated by</dt><dd>{{model}}</dd>{{/model}}
              {{#dimensions}}<dt>size</dt><dd>{{dimensions}}</dd>{{/dimensions}}
              {{#contentType}}<dt>type</dt><dd>{{contentType}}</dd>{{/contentType}}
              {{#sha256}}<dt>sha256</dt><dd><code>{{sha256}}</code></dd>{{/sha256}}
              <dt>uploaded</dt><dd>{{uploadedAt}}</dd>
              <dt>id</dt><dd>{{id}}</dd>
            </dl>
          </div>
        </div>
        {{/image}}
        """
}
