import Foundation
import HeroCore
import Testing

/// `hero-id export` through the built binary: usage errors, bad input.
@Suite struct ExportCLITests {
  static let hasInception = FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath())

  @Test("usage errors exit 2, help 0")
  func usage() throws {
    let help = try CLI.heroID(["export", "--help"])
    #expect(help.status == 0 && help.stdout.contains("--fp16") && help.stdout.contains("onnx"))
    #expect(!help.stdout.contains("--probe"))
    let format = try CLI.heroID(["export", "model", "--format", "tflite", "-o", "x.onnx"])
    #expect(format.status == 2 && format.stderr.contains("tflite"))
    #expect(try CLI.heroID(["export", "model"]).status == 2)  // no -o
    #expect(try CLI.heroID(["export", "model", "-o", "x.onnx", "--input", "int8"]).status == 2)
    #expect(help.stdout.contains("--int8"))
    let both = try CLI.heroID(["export", "model", "-o", "x.onnx", "--int8", "--fp16"])
    #expect(both.status == 2 && both.stderr.contains("--int8 and --fp16 cannot be combined"))
  }

  @Test(
    "a missing model exits 1 naming it, and writes nothing",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func missingModel() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("export-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("hero.onnx").path
    let r = try CLI.heroID(["export", dir.appendingPathComponent("nope").path, "-o", out])
    #expect(r.status == 1)
    #expect(r.stderr.contains("nope") && r.stderrLines.count == 1)
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
