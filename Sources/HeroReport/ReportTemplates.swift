import Mustache

/// The Mustache templates of the report and the local page. Values are HTML-escaped by
/// Mustache (`{{x}}`); only SVG from ``SVGElement`` (which escapes its own text) and `data:`
/// URIs are inserted raw (`{{{x}}}`).
public enum ReportTemplates {
  /// The templates by name: `page` (a whole report), `model`, `clip` (one clip: answer,
  /// timeline, crops, HUD; also used by `hero-id serve`), `sheet` (a contact sheet), `thumb`
  /// (one captioned image) and `style` (the CSS).
  public static let sources: [String: String] = [
    "style": style, "page": page, "model": model, "clip": clip, "sheet": sheet, "thumb": thumb,
  ]

  /// A library with the templates above plus `extra` (name → Mustache source).
  public static func library(adding extra: [String: String] = [:]) throws(ReportError)
    -> MustacheLibrary
  {
    var library = MustacheLibrary()
    for (name, source) in sources.merging(extra, uniquingKeysWith: { $1 }) {
      do { try library.register(source, named: name) } catch {
        throw .template(name: name, reason: "\(error)")
      }
    }
    return library
  }

  static let style = """
    :root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa;
      --known: #1a7f37; --unknown: #9a6700; --failed: #cf222e; }
    * { box-sizing: border-box; }
    body { font: 14px/1.45 system-ui, "Noto Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
      sans-serif; color: var(--ink); background: var(--bg); margin: 0 auto; max-width: 1100px;
      padding: 16px 24px 48px; }
    h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
      border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px;
      margin: 18px 0 6px; }
    code { background: var(--soft); padding: 1px 4px; border-radius: 4px; }
    .meta, .path, .missing, .note { color: var(--muted); }
    nav a { margin-right: 12px; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
    dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
    table { border-collapse: collapse; margin: 6px 0; } td, th { border: 1px solid var(--line);
      padding: 2px 8px; text-align: right; } th { background: var(--soft); }
    td:first-child, th:first-child { text-align: left; }
    svg { display: block; max-width: 100%; height: auto; margin: 6px 0; }
    svg text { font: 11px system-ui, "Noto Sans CJK SC", sans-serif; fill: var(--ink); }
    svg .plot-title { font-weight: 600; font-size: 12px; } svg .tick, svg .legend { fill: var(--muted); }
    svg .plot-area { fill: #fcfcfd; stroke: var(--line); } svg .grid { stroke: #eaeef2; }
    svg .cm-count { font-weight: 600; }
    .clip { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
    .clip h3 { margin: 0; }
    .segments i.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
    .verdict { font-size: 16px; margin: 6px 0; }
    .answer { font-weight: 700; font-size: 20px; padding: 0 6px; border-radius: 4px; }
    .answer.known { color: var(--known); } .answer.unknown { color: var(--unknown); }
    .answer.failed { color: var(--failed); }
    .reason { margin: 2px 0; } .error { color: var(--failed); }
    .thumbs { display: flex; flex-wrap: wrap; gap: 6px; }
    figure.thumb { margin: 0; width: 112px; text-align: center; font-size: 11px; }
    figure.thumb img { width: 104px; height: 104px; image-rendering: auto; border: 1px solid var(--line); }
    figure.thumb.missing-image .placeholder { width: 104px; height: 104px; display: flex;
      align-items: center; justify-content: center; background: var(--soft); color: var(--muted); }
    .grid { display: flex; flex-wrap: wrap; gap: 3px; }
    .grid img { width: 64px; height: 64px; border: 1px solid var(--line); }
    .legend-row span { display: inline-block; margin-right: 14px; }
    .legend-row i { display: inline-block; width: 10px; height: 10px; margin-right: 4px;
      border: 2px solid; vertical-align: -1px; }
    .hud table { font-size: 12px; }
    """

  static let page = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}}</title>
    <style>
    {{> style}}
    </style>
    </head>
    <body>
    <header>
    <h1>{{title}}</h1>
    <p class="meta">Written {{generatedAt}} by <code>hero-id report</code>. One self-contained file: no network needed.</p>
    <nav>{{#toc}}<a href="#{{id}}">{{name}}</a>{{/toc}}</nav>
    </header>
    {{#model}}{{> model}}{{/model}}
    {{#identify}}
    <section id="identify" class="identify">
    <h2>Identification</h2>
    <p class="note">{{summary}} Sources: {{#sources}}<code>{{.}}</code> {{/sources}}</p>
    {{#clips}}{{> clip}}{{/clips}}
    </section>
    {{/identify}}
    {{#sheets}}{{> sheet}}{{/sheets}}
    </body>
    </html>

    """

  static let model = """
    <section id="model" class="model">
    <h2>Model <code>{{path}}</code></h2>
    <dl class="facts">{{#facts}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/facts}}</dl>
    <h3>Training curves</h3>
    {{#curvesSVG}}<figure class="curves">{{{curvesSVG}}}<figcaption class="note">Every {{evalInterval}} steps: training accuracy and cross entropy on that step's batch, validation accuracy on the whole validation set.</figcaption></figure>{{/curvesSVG}}
    {{^curvesSVG}}<p class="missing">This model records no training curve (it was trained before <code>train</code> kept one); train it again to see it.</p>{{/curvesSVG}}
    <h3>Confusion matrix, test split</h3>
    {{#confusionSVG}}<figure class="confusion">{{{confusionSVG}}}<figcaption class="note">{{confusionNote}}</figcaption></figure>{{/confusionSVG}}
    {{^confusionSVG}}<p class="missing">{{confusionMissing}}</p>{{/confusionSVG}}
    <h3>Images per hero</h3>
    {{#countsSVG}}{{{countsSVG}}}{{/countsSVG}}
    <table class="counts"><tr><th>hero</th><th>training</th><th>validation</th><th>testing</th><th>total</th></tr>
    {{#counts}}<tr><td>{{hero}}</td><td>{{training}}</td><td>{{validation}}</td><td>{{testing}}</td><td>{{total}}</td></tr>{{/counts}}
    </table>
    {{^hasPerHero}}<p class="missing">Per-hero counts are not recorded in this model; the totals are.</p>{{/hasPerHero}}
    <h3>Misclassified test crops</h3>
    <p class="note">{{misclassifiedNote}}</p>
    <div class="thumbs misclassified">{{#misclassified}}{{> thumb}}{{/misclassified}}</div>
    <h3>Labels to review</h3>
    <p class="note">{{disputedNote}}</p>
    <div class="thumbs disputed">{{#disputed}}{{> thumb}}{{/disputed}}</div>
    </section>

    """

  static let thumb = """
    <figure class="thumb{{^src}} missing-image{{/src}}" title="{{title}}">{{#src}}<img src="{{{src}}}" alt="{{title}}">{{/src}}{{^src}}<div class="placeholder">missing</div>{{/src}}<figcaption>{{caption}}</figcaption></figure>
    """

  static let clip = """
    <article class="clip" id="clip-{{index}}" data-video="{{video}}" data-cells="{{cellCount}}">
    <h3 class="video">{{name}}</h3>
    <p class="path">{{video}}{{#status}} · batch status {{status}}{{/status}}</p>
    <p class="verdict"><span class="answer {{answerClass}}">{{answer}}</span>{{#confidence}} <span class="confidence">confidence {{confidence}}</span>{{/confidence}}</p>
    {{#reason}}<p class="reason">reason: {{reason}}</p>{{/reason}}
    {{#error}}<p class="error">{{error}}</p>{{/error}}
    {{#counts}}<p class="counts note">{{counts}}</p>{{/counts}}
    {{#hasTop}}<table class="top"><tr><th>candidate</th><th>p</th></tr>{{#top}}<tr><td>{{hero}}</td><td>{{p}}</td></tr>{{/top}}</table>{{/hasTop}}
    {{#hasSegments}}<table class="segments"><tr><th>segment</th><th>time</th><th>hero</th><th></th></tr>{{#segments}}<tr><td>{{n}}</td><td>{{span}}</td><td><i class="swatch" style="background: {{colour}}"></i>{{hero}}</td><td class="note">{{detail}}</td></tr>{{/segments}}</table>{{/hasSegments}}
    {{#timelineSVG}}<div class="timeline-wrap">{{{timelineSVG}}}</div>
    <p class="legend-row note">{{#legend}}<span><i style="border-color: {{colour}}"></i>{{name}}</span>{{/legend}} a cell per key frame; in a gameplay cell the bar is as high as the frame's top probability, in its hero's colour (hover for time, hero and p).</p>{{/timelineSVG}}
    {{^timelineSVG}}<p class="missing">No key-frame timeline in this input (batch reports keep none; <code>identify --json</code> lines have it).</p>{{/timelineSVG}}
    {{#hasCrops}}<div class="thumbs crops">{{#crops}}{{> thumb}}{{/crops}}</div>{{/hasCrops}}
    {{#cropsMissing}}<p class="missing note">No crops saved for this clip (<code>identify --crops-dir DIR</code> keeps them; give the report <code>--clip-crops DIR</code>).</p>{{/cropsMissing}}
    <div class="hud">{{#hasHUD}}<h4>HUD geometry</h4><table>{{#hud}}<tr><td>{{name}}</td><td>{{value}}</td></tr>{{/hud}}</table>{{/hasHUD}}{{^hasHUD}}<p class="missing note">HUD geometry: none reported for this clip.</p>{{/hasHUD}}</div>
    </article>

    """

  static let sheet = """
    <section class="sheet" id="{{id}}">
    <h2>Crops in <code>{{path}}</code></h2>
    <p class="note">{{summary}}</p>
    {{#heroes}}<div class="hero-sheet" data-hero="{{name}}"><h3>{{name}} <span class="note">{{note}}</span></h3>
    <div class="grid">{{#images}}<img src="{{{src}}}" alt="{{file}}" title="{{file}}">{{/images}}</div></div>
    {{/heroes}}
    </section>

    """
}
