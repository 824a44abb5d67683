import Foundation
import HeroCore
import Testing

/// `hero-id report` and `hero-id serve` in a real browser: runs browser_tests.py (headless
/// Chromium over the DevTools protocol; standard-library Python), which trains a small model
/// on three sample heroes, opens the report, uploads a clip through the served page, tries bad
/// and concurrent uploads, and asserts on the rendered DOM and the answers. Screenshots go to
/// `test-artefacts/browser/` (or `$HERO_ID_ARTEFACTS`). Takes a few minutes on two cores.
@Suite struct BrowserTests {
  static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let hasChromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  static let available =
    hasChromium && FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())

  /// The built hero-id, as the CLI tests find it.
  static func binary() throws -> String {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["HERO_ID_BIN"] { candidates.append(env) }
    let bundle = Bundle.main.bundleURL
    candidates.append(bundle.appendingPathComponent("hero-id").path)
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("hero-id").path)
    candidates.append(checkout.appendingPathComponent(".build/release/hero-id").path)
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else {
      throw CocoaError(
        .fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.joined(separator: ", ")])
    }
    return path
  }

  @Test(
    .enabled(if: available, "needs chromium (make setup) and the Inception weights"),
    .timeLimit(.minutes(30)))
  func reportAndPageInHeadlessChromium() throws {
    let artefacts =
      ProcessInfo.processInfo.environment["HERO_ID_ARTEFACTS"]
      ?? Self.checkout.appendingPathComponent("test-artefacts/browser").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", Self.checkout.appendingPathComponent("Tests/BrowserTests/browser_tests.py").path,
      "--bin", try Self.binary(), "--artefacts", artefacts,
    ]
    let out = FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-id-browser-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let stdout = String(decoding: try Data(contentsOf: out), as: UTF8.self)
    let last = stdout.split(separator: "\n").last.map(String.init) ?? ""
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
      "no summary from browser_tests.py: \(stdout)")
    #expect(process.terminationStatus == 0, "failed checks: \(summary["failures"] ?? "?")")
    #expect((summary["failures"] as? [String])?.isEmpty == true)
    let concurrent = try #require(summary["concurrent"] as? [String: Any])
    let codes = try #require(concurrent["codes"] as? [Int])
    #expect(codes.count == 10 && codes.allSatisfy { $0 == 200 || $0 == 503 })
    let screenshots = try #require(summary["screenshots"] as? [String])
    for name in ["report.png", "serve.png"] {
      let path = try #require(screenshots.first { $0.hasSuffix(name) })
      let png = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(name)")
    }
  }
}
