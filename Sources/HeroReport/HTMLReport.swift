import Classifier
import Foundation
import HeroCore
import Mustache

/// What one `hero-id report` should show.
public struct ReportRequest: Sendable {
  /// The page title.
  public var title = "hero-id report"
  /// A model directory: training curves, confusion matrix, counts, misclassified crops.
  public var model: String?
  /// Where the model's training crops are (default: the folder `train` recorded).
  public var modelCrops: String?
  /// Files of identification results (`identify --json`, `batch identify` CSV or `--json`).
  public var identify: [String] = []
  /// The folder `identify --crops-dir` wrote the clips' crops to.
  public var clipCrops: String?
  /// Crop folders (one sub-folder per hero) for contact sheets.
  public var cropFolders: [String] = []
  /// At most this many crops per hero on a contact sheet (evenly spaced when there are more).
  public var maxPerHero = 200

  public init() {}
}

/// One clip as the `clip` template renders it (the report and `hero-id serve` share it).
public struct ClipView: Sendable {
  var index: Int
  var name: String
  var video: String
  var status: String?
  var answer: String
  var answerClass: String
  var confidence: String?
  var reason: String?
  var error: String?
  var counts: String?
  var hasTop: Bool
  var top: [TopRow]
  var timelineSVG: String?
  var legend: [LegendKey]
  /// Timeline cells drawn (0 without a timeline).
  public var cellCount: Int
  var hasCrops: Bool
  /// Gameplay frames without crops: say how to keep them.
  var cropsMissing: Bool
  var crops: [ThumbView]
  var hasHUD: Bool
  var hud: [ClipResult.Field]
  /// The segments, when there are several (a compilation).
  var segments: [SegmentRow] = []
  var hasSegments = false

  struct SegmentRow: Sendable {
    var n: Int
    var span: String
    var hero: String
    var colour: String
    var detail: String
  }

  struct TopRow: Sendable {
    var hero: String
    var p: String
  }

  struct LegendKey: Sendable {
    var name: String
    var colour: String
  }

  static let legend = ["gameplay", "loading", "shop", "other"].map {
    LegendKey(name: $0, colour: Charts.screenColours[$0] ?? "#616161")
  }
}

struct ThumbView: Sendable {
  var src: String?
  var title: String
  var caption: String
}

struct FactView: Sendable {
  var name: String
  var value: String
}

struct CountRow: Sendable {
  var hero: String
  var training: Int
  var validation: Int
  var testing: Int
  var total: Int
}

struct ModelView: Sendable {
  var path: String
  var facts: [FactView]
  var curvesSVG: String?
  var evalInterval: Int
  var confusionSVG: String?
  var confusionNote: String
  var confusionMissing: String
  var countsSVG: String?
  var counts: [CountRow]
  var hasPerHero: Bool
  var misclassifiedNote: String
  var misclassified: [ThumbView]
  var disputedNote: String
  var disputed: [ThumbView]
}

struct SheetView: Sendable {
  var id: String
  var path: String
  var summary: String
  var heroes: [HeroSheet]

  struct HeroSheet: Sendable {
    var name: String
    var note: String
    var images: [SheetImage]
  }

  struct SheetImage: Sendable {
    var src: String
    var file: String
  }
}

struct IdentifyView: Sendable {
  var summary: String
  var sources: [String]
  var clips: [ClipView]
}

struct PageView: Sendable {
  var title: String
  var generatedAt: String
  var toc: [TocEntry]
  var model: ModelView?
  var identify: IdentifyView?
  var sheets: [SheetView]

  struct TocEntry: Sendable {
    var id: String
    var name: String
  }
}

/// Builds the self-contained HTML report: data read from the model directory, result files and
/// crop folders, charts drawn as SVG (``Charts``), images inlined as `data:` URIs, the page
/// rendered by Mustache templates (``ReportTemplates``).
public enum HTMLReport {
  /// The whole report page for `request`.
  public static func render(_ request: ReportRequest, now: Date = Date()) throws(ReportError)
    -> String
  {
    var toc: [PageView.TocEntry] = []
    var modelView: ModelView?
    if let model = request.model {
      modelView = try modelSection(path: model, crops: request.modelCrops)
      toc.append(.init(id: "model", name: "Model"))
    }
    var identifyView: IdentifyView?
    if !request.identify.isEmpty {
      var clips: [ClipResult] = []
      for file in request.identify { clips += try IdentifyResults.load(path: file) }
      let views = clips.enumerated().map { i, clip in
        clipView(
          clip, index: i + 1,
          crops: request.clipCrops.map { ClipCrops.load(directory: $0, clip: clip.video) } ?? [:])
      }
      let named = clips.filter { $0.hero != nil }.count
      let failed = clips.filter { $0.error != nil }.count
      identifyView = IdentifyView(
        summary:
          "\(clips.count) clip\(clips.count == 1 ? "" : "s"): \(named) named, "
          + "\(clips.count - named - failed) unknown, \(failed) failed.",
        sources: request.identify, clips: views)
      toc.append(.init(id: "identify", name: "Identification"))
    }
    var sheets: [SheetView] = []
    for (i, folder) in request.cropFolders.enumerated() {
      let sheet = try contactSheet(
        folder: folder, maxPerHero: request.maxPerHero, id: "sheet-\(i + 1)")
      sheets.append(sheet)
      toc.append(.init(id: sheet.id, name: "Crops: \((folder as NSString).lastPathComponent)"))
    }
    let formatter = ISO8601DateFormatter()
    let page = PageView(
      title: request.title, generatedAt: formatter.string(from: now), toc: toc,
      model: modelView, identify: identifyView, sheets: sheets)
    return try render(page, template: "page")
  }

  /// The `clip` fragment of one clip (what `hero-id serve` shows after identifying it).
  public static func renderClip(_ clip: ClipResult, index: Int, crops: [Int: Data])
    throws(ReportError) -> String
  {
    try render(clipView(clip, index: index, crops: crops), template: "clip")
  }

  static func render(_ object: Any, template: String) throws(ReportError) -> String {
    let library = try ReportTemplates.library()
    guard let html = library.render(object, withTemplate: template) else {
      throw .template(name: template, reason: "not registered")
    }
    return html
  }

  // MARK: Clips

  /// The view of one clip; `crops` by timeline index (from `identify --crops-dir`).
  public static func clipView(_ clip: ClipResult, index: Int, crops: [Int: Data]) -> ClipView {
    let (answer, answerClass): (String, String) =
      clip.error != nil
      ? ("failed", "failed") : clip.hero.map { ($0, "known") } ?? ("unknown", "unknown")
    var counts: String?
    if let frames = clip.frames {
      counts =
        "\(frames) key frame\(frames == 1 ? "" : "s")"
        + (clip.gameplayFrames.map { ", \($0) gameplay" } ?? "")
    }
    let frames = clip.timeline ?? []
    let timelineSVG = clip.timeline.map { timeline in
      Charts.timeline(
        timeline.map { Charts.Frame(t: $0.t, screen: $0.screen, hero: $0.hero, p: $0.p) },
        answer: clip.hero,
        segments: clip.segments.count > 1
          ? clip.segments.map { Charts.Segment(start: $0.start, end: $0.end, hero: $0.hero) } : []
      ).markup
    }
    let thumbs: [ThumbView] = crops.keys.sorted().map { i in
      let f = i < frames.count ? frames[i] : nil
      let t = f.map { String(format: "%.1f s", $0.t) } ?? "frame \(i)"
      let who = f?.hero.map { " · \($0) \(String(format: "%.2f", f?.p ?? 0))" } ?? ""
      return ThumbView(
        src: crops[i].flatMap(DataURI.jpeg), title: "crop at \(t)", caption: t + who)
    }
    var segments: [ClipView.SegmentRow] = []
    for (n, g) in clip.segments.enumerated() where clip.segments.count > 1 {
      var detail: [String] = []
      if let c = g.confidence { detail.append(String(format: "confidence %.2f", c)) }
      if let f = g.frames { detail.append("\(f) gameplay frame\(f == 1 ? "" : "s")") }
      segments.append(
        ClipView.SegmentRow(
          n: n + 1, span: String(format: "%.1f–%.1f s", g.start, g.end),
          hero: g.hero ?? "unknown", colour: g.hero.map(Charts.heroColour) ?? "#9e9e9e",
          detail: detail.joined(separator: ", ")))
    }
    return ClipView(
      index: index, name: (clip.video as NSString).lastPathComponent, video: clip.video,
      status: clip.status, answer: answer, answerClass: answerClass,
      confidence: clip.confidence.map { String(format: "%.3f", $0) }, reason: clip.reason,
      error: clip.error, counts: counts, hasTop: !clip.top.isEmpty,
      top: clip.top.map { .init(hero: $0.hero, p: String(format: "%.3f", $0.p)) },
      timelineSVG: timelineSVG, legend: ClipView.legend, cellCount: clip.timeline?.count ?? 0,
      hasCrops: !thumbs.isEmpty,
      cropsMissing: thumbs.isEmpty && frames.contains { $0.screen == "gameplay" }, crops: thumbs,
      hasHUD: !clip.hud.isEmpty, hud: clip.hud, segments: segments,
      hasSegments: !segments.isEmpty)
  }

  // MARK: Model

  static func modelSection(path: String, crops: String?) throws(ReportError) -> ModelView {
    let model: HeroModel
    do { model = try HeroModel.load(from: path) } catch { throw .input("\(error)") }
    let t = model.info.training
    let labels = model.labels
    var facts: [FactView] = [
      .init(name: "heroes", value: "\(labels.count): " + labels.joined(separator: ", ")),
      .init(
        name: "images",
        value: ["training", "validation", "testing"].map { "\($0) \(t.images[$0] ?? 0)" }
          .joined(separator: ", ")),
    ]
    if let v = t.validationAccuracy {
      facts.append(.init(name: "validation accuracy", value: String(format: "%.3f", v)))
    }
    if let v = t.testAccuracy {
      facts.append(.init(name: "test accuracy", value: String(format: "%.3f", v)))
    }
    facts += [
      .init(
        name: "training",
        value:
          "\(t.options.steps) steps, batch \(t.options.batchSize), learning rate "
          + "\(t.options.learningRate), \(t.options.optimizer.rawValue), L2 \(t.options.l2)"),
      .init(
        name: "unknown below familiarity",
        value: String(
          format: "%.3f (simulated clips rejected: %.1f%% of trained heroes', %.1f%% of unseen)",
          model.thresholds.minFamiliarity, 100 * model.thresholds.knownRejectRate,
          100 * model.thresholds.unknownRejectRate)),
      .init(name: "trained", value: "\(t.trainedAt) in \(String(format: "%.1f", t.seconds)) s"),
      .init(name: "layout", value: model.info.layout.name),
      .init(
        name: "base network",
        value: model.info.baseNetwork + ", \(model.info.trainedPrecision.rawValue) bottlenecks"
          + (model.info.precision == nil ? " (not recorded: a model from before int8)" : "")),
    ]
    var curvesSVG: String?
    if let curve = t.curve, !curve.isEmpty {
      curvesSVG =
        Charts.trainingCurves(
          steps: curve.map(\.step), trainAccuracy: curve.map(\.trainAccuracy),
          validationAccuracy: curve.map(\.validationAccuracy),
          crossEntropy: curve.map(\.crossEntropy)
        ).markup
    }
    var confusionSVG: String?
    var confusionNote = ""
    if let m = t.testConfusion, m.count == labels.count {
      confusionSVG = Charts.confusionMatrix(labels: labels, matrix: m).markup
      let total = m.reduce(0) { $0 + $1.reduce(0, +) }
      let right = labels.indices.reduce(0) { $0 + (m[$1].count > $1 ? m[$1][$1] : 0) }
      confusionNote =
        "\(right) of \(total) test crops right; rows are true heroes, columns the answers."
    }
    let sets = ["training", "validation", "testing"]
    let perHero = t.imagesPerHero ?? [:]
    let rows = labels.map { hero -> CountRow in
      let c = perHero[hero] ?? [:]
      let v = sets.map { c[$0] ?? 0 }
      return CountRow(
        hero: hero, training: v[0], validation: v[1], testing: v[2], total: v.reduce(0, +))
    }
    let countsSVG =
      perHero.isEmpty
      ? nil
      : Charts.imageCounts(
        heroes: labels, sets: sets,
        counts: rows.map { [$0.training, $0.validation, $0.testing] },
        colours: ["#1565c0", "#e65100", "#2e7d32"]
      ).markup
    var misclassified: [ThumbView] = []
    let note: String
    let root = crops ?? t.cropsDir
    func thumb(_ file: String, _ caption: String) -> ThumbView {
      let path =
        file.hasPrefix("/") || root == nil
        ? file : URL(fileURLWithPath: root ?? ".").appendingPathComponent(file).path
      return ThumbView(src: DataURI.jpeg(fileAt: path), title: file, caption: caption)
    }
    // The review sheet (issue 27): crops whose label the model disputes, widest first.
    let disputed = (t.disputed ?? []).map { d in
      thumb(
        d.file,
        "\(d.hero) → \(d.named) "
          + String(format: "(p %.2f against %.2f, %@)", d.pNamed, d.pLabel, d.set))
    }
    let disputedNote =
      t.disputed == nil
      ? "Not recorded in this model (trained before `train` kept a review sheet)."
      : disputed.isEmpty
        ? "None: the model agrees with every crop's label."
        : "The \(disputed.count) crop\(disputed.count == 1 ? "" : "s") whose label the model disputes "
          + "most (label → the hero it names; a training crop is scored by a layer trained "
          + "without its fold). Mislabelled crops show here first: move or delete them, and "
          + "train again."
    if let wrong = t.misclassified {
      misclassified = wrong.map { m in thumb(m.file, "\(m.hero) → \(m.predicted)") }
      let missing = misclassified.filter { $0.src == nil }.count
      note =
        wrong.isEmpty
        ? "None: every test crop was named right."
        : "\(wrong.count) test crop\(wrong.count == 1 ? "" : "s") named wrong (true → answer)"
          + (missing > 0
            ? "; \(missing) not found under \(root ?? "the crop folder") (give --model-crops DIR)."
            : ".")
    } else {
      note = "Not recorded in this model (it was trained before `train` kept the list)."
    }
    return ModelView(
      path: path, facts: facts, curvesSVG: curvesSVG, evalInterval: t.options.evalStepInterval,
      confusionSVG: confusionSVG, confusionNote: confusionNote,
      confusionMissing: t.testAccuracy == nil
        ? "No test split in this training run."
        : "Not recorded in this model (trained before `train` kept it); train it again to see it.",
      countsSVG: countsSVG, counts: rows, hasPerHero: !perHero.isEmpty,
      misclassifiedNote: note, misclassified: misclassified, disputedNote: disputedNote,
      disputed: disputed)
  }

  // MARK: Contact sheets

  static func contactSheet(folder: String, maxPerHero: Int, id: String) throws(ReportError)
    -> SheetView
  {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue,
      let entries = try? fm.contentsOfDirectory(atPath: folder)
    else { throw .cannotRead(path: folder) }
    var heroes: [SheetView.HeroSheet] = []
    var total = 0
    for hero in entries.sorted() where !hero.hasPrefix(".") {
      let dir = URL(fileURLWithPath: folder).appendingPathComponent(hero)
      var heroIsDir: ObjCBool = false
      guard fm.fileExists(atPath: dir.path, isDirectory: &heroIsDir), heroIsDir.boolValue,
        let files = try? fm.contentsOfDirectory(atPath: dir.path)
      else { continue }
      let images = files.filter {
        let l = $0.lowercased()
        return !$0.hasPrefix(".") && (l.hasSuffix(".jpg") || l.hasSuffix(".jpeg"))
      }.sorted()
      guard !images.isEmpty else { continue }
      total += images.count
      let limit = max(maxPerHero, 1)
      let picked: [String] =
        images.count <= limit
        ? images
        : (0..<limit).map { images[$0 * images.count / limit] }
      let shown = picked.compactMap { name -> SheetView.SheetImage? in
        DataURI.jpeg(fileAt: dir.appendingPathComponent(name).path).map {
          .init(src: $0, file: "\(hero)/\(name)")
        }
      }
      let unreadable = picked.count - shown.count
      var note = "\(images.count) crop\(images.count == 1 ? "" : "s")"
      if picked.count < images.count { note += ", \(picked.count) shown, evenly spaced" }
      if unreadable > 0 { note += ", \(unreadable) not JPEG or unreadable" }
      heroes.append(.init(name: hero, note: note, images: shown))
    }
    return SheetView(
      id: id, path: folder,
      summary: "\(heroes.count) hero\(heroes.count == 1 ? "" : "es"), \(total) crops. "
        + "A crop that does not look like its neighbours (a shop frame, the wrong slot) is worth a look.",
      heroes: heroes)
  }
}
