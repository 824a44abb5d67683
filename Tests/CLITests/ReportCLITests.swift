import Foundation
import Testing

/// `hero-id report` and `hero-id serve` from the command line: usage and input errors. The
/// pages themselves are checked in a browser by BrowserTests.
@Suite struct ReportCLITests {
  @Test func usageErrorsExitTwo() throws {
    let none = try CLI.heroID(["report"])
    #expect(none.status == 2)
    #expect(none.stderr.contains("--model"))
    #expect(try CLI.heroID(["report", "--crops", "x", "--max-per-hero", "0"]).status == 2)
    #expect(try CLI.heroID(["serve", "--port", "70000"]).status == 2)
    #expect(try CLI.heroID(["serve", "--jobs", "0"]).status == 2)
  }

  @Test func badInputsExitOneNamingTheFile() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = try CLI.heroID(["report", "--model", "no-model", "--out", "r.html"], in: dir)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("no-model/model.json"))
    try Data("video,hero\nnot,json\n".utf8).write(to: dir.appendingPathComponent("odd.csv"))
    let odd = try CLI.heroID(["report", "--identify", "odd.csv"], in: dir)
    #expect(odd.status == 1)
    #expect(odd.stderr.contains("odd.csv"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
    let noServeModel = try CLI.heroID(["serve", "--model", "no-model", "--port", "0"], in: dir)
    #expect(noServeModel.status == 1)
  }

  @Test func reportOfABatchCSVAndACropFolder() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(
      """
      video,status,hero,confidence,frames,gameplay_frames,reason,error
      a.mp4,ok,李白,0.9,10,8,,
      b.mp4,failed,,,,,,b.mp4: no video stream

      """.utf8
    ).write(to: dir.appendingPathComponent("batch.csv"))
    try CLI.makeClip(at: dir.appendingPathComponent("clip.mp4").path)
    // Key frames of the clip (2 s, one every 10 frames: 5) in crops/clip/, as a "hero" folder.
    let crops = try CLI.heroID(["extract", "clip.mp4", "--frames", "--out", "crops"], in: dir)
    #expect(crops.status == 0, "\(crops.stderr)")
    let result = try CLI.heroID(
      ["report", "--identify", "batch.csv", "--crops", "crops", "--out", "r.html"], in: dir)
    #expect(result.status == 0, "\(result.stderr)")
    let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
    #expect(html.components(separatedBy: "<article class=\"clip\"").count - 1 == 2)
    #expect(html.contains("class=\"answer known\">李白<"))
    #expect(html.contains("class=\"answer failed\">failed<"))
    #expect(html.contains("b.mp4: no video stream"))
    #expect(html.contains("data-hero=\"clip\""))
    #expect(html.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 == 5)
  }
}
