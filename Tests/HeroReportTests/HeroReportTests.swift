import Classifier
import Foundation
import HeroCore
import HeroReport
import Testing

@Suite struct HeroReportTests {
  static let line = """
    {"video": "clips/a.mp4", "hero": "李白", "confidence": 0.9123, "frames": 4, \
    "gameplay_frames": 2, "top": [{"hero": "李白", "p": 0.91}, {"hero": "韩信", "p": 0.05}], \
    "timeline": [{"t": 0.0, "screen": "loading", "hero": null, "p": null}, \
    {"t": 2.0, "screen": "gameplay", "hero": "李白", "p": 0.95}, \
    {"t": 4.0, "screen": "gameplay", "hero": "韩信", "p": 0.6}, \
    {"t": 6.0, "screen": "shop", "hero": null, "p": null}]}
    """

  @Test func svgEscapesTextAndAttributes() {
    let e = SVGElement("text", ["class": "a\"b<"], text: "<script>&'")
    #expect(e.markup == "<text class=\"a&quot;b&lt;\">&lt;script&gt;&amp;&#39;</text>")
    #expect(SVGElement("rect", ["x": 1.5, "y": 2]).markup == "<rect x=\"1.5\" y=\"2\"/>")
  }

  @Test func numbersAreShort() {
    #expect(SVGValue.number(12).text == "12")
    #expect(SVGValue.number(3.5).text == "3.5")
    #expect(SVGValue.number(0.25).text == "0.25")
    #expect(SVGValue.number(0.05).text == "0.05")
    #expect(SVGValue.number(-0.5).text == "-0.5")
    #expect(SVGValue.number(2.999).text == "3")
  }

  @Test func readsIdentifyJSONLines() throws {
    let text =
      Self.line + "\n" + #"{"video": "b.mp4", "error": "b.mp4: no video stream"}"#
      + "\n" + #"{"summary": {"videos": 2}}"# + "\n"
    let clips = try IdentifyResults.parse(text, path: "r.jsonl")
    #expect(clips.count == 2)
    #expect(clips[0].hero == "李白")
    #expect(clips[0].timeline?.count == 4)
    #expect(clips[0].timeline?[1] == .init(t: 2, screen: "gameplay", hero: "李白", p: 0.95))
    #expect(clips[0].top.map(\.hero) == ["李白", "韩信"])
    #expect(clips[1].error == "b.mp4: no video stream")
    #expect(clips[1].timeline == nil)
  }

  @Test func readsBatchCSV() throws {
    let csv = """
      video,status,hero,confidence,frames,gameplay_frames,reason,error
      a/x.mp4,ok,妲己,0.8,10,8,,
      "b,y.mp4",unknown,,0.4,10,0,no gameplay frame among 10 key frames,

      """
    let clips = try IdentifyResults.parse(csv, path: "r.csv")
    #expect(clips.count == 2)
    #expect(clips[0].hero == "妲己" && clips[0].confidence == 0.8 && clips[0].status == "ok")
    #expect(clips[1].video == "b,y.mp4" && clips[1].hero == nil)
    #expect(clips[1].reason == "no gameplay frame among 10 key frames")
  }

  @Test func refusesOtherFilesNamingThem() {
    #expect(throws: ReportError.self) { try IdentifyResults.parse("{oops\n", path: "x.jsonl") }
    do {
      _ = try IdentifyResults.parse("a,b\n1,2\n", path: "x.csv")
      Issue.record("no error")
    } catch {
      #expect(error.description.hasPrefix("x.csv: "))
    }
  }

  @Test func hudGeometryIsFlattened() throws {
    let object = try #require(
      try JSONSerialization.jsonObject(
        with: Data(
          #"{"video": "a.mp4", "hud": {"scale": 1.5, "picture": {"x": 0, "w": 1280}, "slot": "skill2"}}"#
            .utf8)) as? [String: Any])
    let clip = try #require(ClipResult(json: object))
    #expect(
      clip.hud.map { "\($0.name)=\($0.value)" } == [
        "picture.w=1280", "picture.x=0", "scale=1.5", "slot=skill2",
      ])
  }

  /// `identify --json`'s own key: `"geometry"` with the picture and the HUD found.
  @Test func identifyGeometryIsShown() throws {
    let object = try #require(
      try JSONSerialization.jsonObject(
        with: Data(
          #"{"video": "a.mp4", "hero": "李白", "geometry": {"picture": [0, 0, 1560, 720], "hud": {"scale": 1.1}}}"#
            .utf8)) as? [String: Any])
    let clip = try #require(ClipResult(json: object))
    #expect(
      clip.hud.map(\.name) == ["hud.scale", "picture[0]", "picture[1]", "picture[2]", "picture[3]"])
    let html = try HTMLReport.renderClip(clip, index: 1, crops: [:])
    #expect(html.contains("<h4>HUD geometry</h4>") && html.contains("1560"))
    #expect(!html.contains("none reported for this clip"))
  }

  @Test func clipFragmentEscapesNamesAndDrawsOneCellPerFrame() throws {
    var clips = try IdentifyResults.parse(Self.line, path: "r.jsonl")
    clips[0].hero = "<img src=x onerror=alert(1)>"
    clips[0].video = "\"><script>alert(1)</script>.mp4"
    let html = try HTMLReport.renderClip(clips[0], index: 1, crops: [:])
    #expect(!html.contains("<img src=x"))
    #expect(!html.contains("<script>"))
    #expect(html.contains("&lt;img src=x"))
    #expect(html.components(separatedBy: "<g class=\"cell ").count - 1 == 4)
    #expect(html.contains("data-cells=\"4\""))
  }

  @Test func clipCropsRoundTripAndNeverCollide() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-report-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
    try ClipCrops.save([(1, 2.0, jpeg), (2, 4.0, jpeg)], clip: "x/a.mp4", directory: dir.path)
    #expect(ClipCrops.load(directory: dir.path, clip: "x/a.mp4").keys.sorted() == [1, 2])
    #expect(ClipCrops.load(directory: dir.path, clip: "y/a.mp4").isEmpty)
    #expect(ClipCrops.folderName(for: "x/a.mp4") != ClipCrops.folderName(for: "y/a.mp4"))
    #expect(!ClipCrops.folderName(for: "../.hidden").hasPrefix("."))
    let html = try HTMLReport.renderClip(
      try IdentifyResults.parse(Self.line, path: "r")[0], index: 1,
      crops: ClipCrops.load(directory: dir.path, clip: "x/a.mp4"))
    #expect(html.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 == 2)
    #expect(DataURI.jpeg(Data("not a jpeg".utf8)) == nil)
  }

  @Test func contactSheetPerHero() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-report-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 9])
    for (hero, n) in [("李白", 5), ("妲己", 2)] {
      let h = dir.appendingPathComponent(hero)
      try FileManager.default.createDirectory(at: h, withIntermediateDirectories: true)
      for i in 0..<n { try jpeg.write(to: h.appendingPathComponent("\(hero)_\(i).jpg")) }
    }
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent(".bottlenecks"), withIntermediateDirectories: true)
    var request = ReportRequest()
    request.cropFolders = [dir.path]
    request.maxPerHero = 3
    let html = try HTMLReport.render(request)
    #expect(html.components(separatedBy: "class=\"hero-sheet\"").count - 1 == 2)
    #expect(html.components(separatedBy: "src=\"data:image/jpeg").count - 1 == 3 + 2)
    #expect(html.contains("5 crops, 3 shown"))
  }

  @Test func trainingSummaryStaysReadableWithoutTheNewFields() throws {
    let old = """
      {"options": {"steps": 10, "learning_rate": 0.01, "batch_size": 5, "eval_step_interval": 5,
       "seed": 0, "optimizer": "momentum", "momentum": 0.9, "l2": 0.001, "standardize": true},
       "images": {"training": 8}, "distortions": {"flip_left_right": false, "random_crop": 0,
       "random_scale": 0, "random_brightness": 0}, "trained_at": "x", "seconds": 1}
      """
    let summary = try JSONDecoder().decode(TrainingSummary.self, from: Data(old.utf8))
    #expect(summary.curve == nil && summary.testConfusion == nil)
    var withCurve = summary
    withCurve.curve = [
      .init(step: 5, trainAccuracy: 0.5, crossEntropy: 1.2, validationAccuracy: nil)
    ]
    withCurve.testConfusion = TrainingSummary.confusion(
      labels: [0, 0, 1, 2], predictions: [0, 1, 1, 2], classCount: 3)
    #expect(withCurve.testConfusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    let again = try JSONDecoder().decode(
      TrainingSummary.self, from: try JSONEncoder().encode(withCurve))
    #expect(again == withCurve)
    #expect(
      TrainingSummary.misclassified(
        paths: ["/c/a/1.jpg", "/c/b/2.jpg"], cropsDir: "/c", classes: ["a", "b"], labels: [0, 1],
        predictions: [1, 1]) == [.init(file: "a/1.jpg", hero: "a", predicted: "b")])
  }

  @Test func segmentsAreReadAndDrawnUnderTheTimeline() throws {
    let compilation =
      String(Self.line.dropLast())
      + #", "segments": [{"start": 2.0, "end": 2.0, "hero": "李白", "confidence": 1, "frames": 1}, "#
      + #"{"start": 4.0, "end": 4.0, "hero": null, "confidence": 0.6, "frames": 1}]}"#
    let clips = try IdentifyResults.parse(compilation, path: "r.jsonl")
    #expect(clips[0].segments.map(\.hero) == ["李白", nil])
    #expect(clips[0].segments.map(\.frames) == [1, 1])
    let html = try HTMLReport.renderClip(clips[0], index: 1, crops: [:])
    // One band per segment over its cells, in the hero's colour; a row each in the table.
    #expect(html.components(separatedBy: "class=\"segment\"").count - 1 == 2)
    #expect(html.contains("data-hero=\"李白\">") && html.contains("fill=\"#9e9e9e\""))
    #expect(
      html.contains("<table class=\"segments\">") && html.contains("<td>unknown</td>") == false)
    #expect(html.contains("</i>unknown</td>"))
    // One segment: no table, no band (the answer says it all).
    let single = try IdentifyResults.parse(
      String(Self.line.dropLast())
        + #", "segments": [{"start": 2.0, "end": 4.0, "hero": "李白", "confidence": 1, "frames": 2}]}"#,
      path: "r.jsonl")
    let plain = try HTMLReport.renderClip(single[0], index: 1, crops: [:])
    #expect(!plain.contains("class=\"segment\"") && !plain.contains("<table class=\"segments\">"))
    // batch identify's CSV column.
    let csv = """
      video,status,hero,confidence,frames,gameplay_frames,reason,error,segments
      a.mp4,ok,李白,0.9,40,30,,,李白 0.0-14.0; unknown 15.5-20.0; 韩信 x 21.0-26.5

      """
    let rows = try IdentifyResults.parse(csv, path: "r.csv")
    #expect(rows[0].segments.map(\.hero) == ["李白", nil, "韩信 x"])
    #expect(rows[0].segments.map(\.start) == [0, 15.5, 21] && rows[0].segments[2].end == 26.5)
    let table = try HTMLReport.renderClip(rows[0], index: 1, crops: [:])
    #expect(table.contains("21.0–26.5 s"))
  }

  @Test func theReviewSheetListsTheWidestDisputesFirst() {
    // Rows: a (label 0) named 1 by 0.9 vs 0.1; b (label 1) agrees; c (label 0) named 1 by
    // 0.6 vs 0.4; d (label 1) named 0 by 0.99 vs 0.01.
    let p: [Float] = [0.1, 0.9, 0.2, 0.8, 0.4, 0.6, 0.99, 0.01]
    let all = TrainingSummary.disputed(
      paths: ["/c/x/a.jpg", "/c/y/b.jpg", "/c/x/c.jpg", "/elsewhere/d.jpg"], cropsDir: "/c",
      classes: ["x", "y"], labels: [0, 1, 0, 1], probabilities: p,
      sets: ["training", "testing", "validation", "training"], count: 10)
    #expect(all.map(\.file) == ["/elsewhere/d.jpg", "x/a.jpg", "x/c.jpg"])
    #expect(all.map(\.named) == ["x", "y", "y"])
    #expect(all[1].set == "training" && abs(all[1].pNamed - 0.9) < 1e-6)
    let two = TrainingSummary.disputed(
      paths: ["/c/x/a.jpg", "/c/y/b.jpg", "/c/x/c.jpg", "/elsewhere/d.jpg"], cropsDir: "/c",
      classes: ["x", "y"], labels: [0, 1, 0, 1], probabilities: p,
      sets: ["training", "testing", "validation", "training"], count: 2)
    #expect(two == Array(all.prefix(2)))
    // Mismatched sizes: nothing, never a crash.
    #expect(
      TrainingSummary.disputed(
        paths: ["a"], cropsDir: "/c", classes: ["x", "y"], labels: [0], probabilities: [1],
        sets: [], count: 5
      ).isEmpty)
  }
}
