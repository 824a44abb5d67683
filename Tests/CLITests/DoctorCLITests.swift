import Foundation
import HeroCore
import Testing

/// `hero-id doctor` and the start-up kernel check: what it prints, its exit codes, and the
/// re-execution that falls back to the default kernel when a forced one is not what OpenBLAS
/// loaded (driven through the marker the re-execution sets).
@Suite struct DoctorCLITests {
  @Test func printsKernelThreadsCPUAndMissingWeights() throws {
    let r = try CLI.heroID(["doctor", "--inception", "/nonexistent/weights.pt"])
    #expect(r.status == 1)
    let lines = r.stdoutLines.map(String.init)
    #expect(lines.first?.hasPrefix("kernel: ") == true, "\(r.stdout)")
    #expect(lines.contains { $0.hasPrefix("threads: ") && $0.contains("OpenBLAS") })
    #expect(lines.contains { $0.hasPrefix("cpu: ") })
    #expect(lines.contains { $0.hasPrefix("winograd transforms: ") }, "\(r.stdout)")
    #expect(lines.contains("weights: /nonexistent/weights.pt: missing (run make setup)"))
  }

  @Test func userCoreTypeIsKeptAndReported() throws {
    let r = try CLI.heroID(
      ["doctor", "--inception", "/nonexistent.pt"],
      environment: ["OPENBLAS_CORETYPE": "Prescott", "HERO_ID_OPENBLAS_REEXEC": nil])
    #expect(r.stdoutLines.first == "kernel: Prescott (OPENBLAS_CORETYPE=Prescott set by the user)")
    #expect(r.stderr.isEmpty)
  }

  @Test func forcedKernelThatDidNotLoadFallsBackOnceWithAWarning() throws {
    // As if a first run had forced a kernel this OpenBLAS does not know: the check sees another
    // kernel loaded, warns once and runs again on the default one, without looping.
    let r = try CLI.heroID(
      ["doctor", "--inception", "/nonexistent.pt"],
      environment: [
        "OPENBLAS_CORETYPE": "NoSuchCore", "HERO_ID_OPENBLAS_REEXEC": "forced:Prescott",
      ]
    )
    let warnings = r.stderrLines.filter { $0.contains("failed its check") }
    #expect(warnings.count == 1, "\(r.stderr)")
    #expect(
      r.stdoutLines.first?.hasSuffix("(the default kernel, after the forced one failed its check)")
        == true, "\(r.stdout)")
    #expect(r.status == 1)  // the weights path is missing; the kernel part went through
  }

  /// Whether this CPU has AVX2 (the int8 GEMM's AVX2 path).
  static let hasAVX2: Bool = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return false }
    return flags.split(separator: " ").contains("avx2")
  }()

  /// Whether this CPU has AVX-512F (the packed GEMM's wide kernel).
  static let hasAVX512: Bool = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return false }
    return flags.split(separator: " ").contains("avx512f")
  }()

  @Test(
    "on AVX-512 the packed GEMM runs its AVX-512 kernel, doctor says so, and the vectors are the AVX2 kernel's",
    .enabled(
      if: hasAVX512 && FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath()),
      "needs AVX-512 and the Inception weights (make setup)"))
  func wideKernelNamedAndEqual() throws {
    let env: [String: String?] = ["HERO_ID_GEMM": nil]
    let wide = try CLI.heroID(["doctor"], environment: env)
    #expect(
      wide.stdoutLines.contains {
        $0.hasPrefix("convolutions: hero-id's GEMM on weights packed at load (AVX-512)")
      }, "\(wide.stdout)")
    #expect(wide.stdoutLines.contains("winograd transforms: AVX-512"), "\(wide.stdout)")
    let narrow = try CLI.heroID(["doctor"], environment: ["HERO_ID_GEMM": "avx2"])
    #expect(
      narrow.stdoutLines.contains {
        $0.hasPrefix("convolutions: hero-id's GEMM on weights packed at load (AVX2, FMA;")
      }, "\(narrow.stdout)")
    // One variable moves the transforms with the GEMM.
    #expect(
      narrow.stdoutLines.contains(
        "winograd transforms: AVX2, FMA; HERO_ID_GEMM=avx2, the CPU also runs AVX-512"),
      "\(narrow.stdout)")
    // Both kernels run the same fused multiply-adds in the same order: every float of every
    // layer is the same, so the bottlenecks are equal as text.
    let references = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("InceptionTests/Reference")
    let images = try FileManager.default.contentsOfDirectory(atPath: references.path)
      .filter { $0.hasSuffix(".jpg") }.sorted().prefix(3).map {
        references.appendingPathComponent($0).path
      }
    #expect(images.count == 3)
    let arguments = ["bottleneck"] + images + ["--json", "--batch-size", "2"]
    let a = try CLI.heroID(arguments, environment: env)
    let b = try CLI.heroID(arguments, environment: ["HERO_ID_GEMM": "avx2"])
    #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
    #expect(a.stdoutLines.count == 3)
    #expect(a.stdout == b.stdout)
  }

  @Test(
    "--precision int8: doctor names the int8 path, HERO_ID_INT8 forces one, and every path prints the same bottlenecks",
    .enabled(
      if: FileManager.default.fileExists(atPath: HeroIDHome.inceptionPath()),
      "needs the Inception weights (make setup)"))
  func int8PathsNamedAndEqual() throws {
    let doctor = try CLI.heroID(["doctor"], environment: ["HERO_ID_INT8": nil])
    let line = try #require(doctor.stdoutLines.first { $0.hasPrefix("int8: ") }, "\(doctor.stdout)")
    #expect(line.hasSuffix(", for --precision int8"))
    let scalar = try CLI.heroID(["doctor"], environment: ["HERO_ID_INT8": "scalar"])
    // Forced below the fastest path, doctor says so; a CPU without AVX2 has the scalar path only.
    let forced =
      Self.hasAVX2
      ? "int8: scalar (HERO_ID_INT8; the CPU also runs" : "int8: scalar, for --precision int8"
    #expect(scalar.stdoutLines.contains { $0.hasPrefix(forced) }, "\(scalar.stdout)")
    let references = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("InceptionTests/Reference")
    let images = try FileManager.default.contentsOfDirectory(atPath: references.path)
      .filter { $0.hasSuffix(".jpg") }.sorted().prefix(2).map {
        references.appendingPathComponent($0).path
      }
    // The int8 paths sum the same integers exactly: the same floats, the same text.
    let arguments = ["bottleneck"] + images + ["--json", "--precision", "int8"]
    var outputs: [String] = []
    for path in ["vnni", "avx2", "scalar"] {
      let r = try CLI.heroID(arguments, environment: ["HERO_ID_INT8": path])
      #expect(r.status == 0, "\(path): \(r.stderr)")
      #expect(r.stdoutLines.count == 2)
      outputs.append(r.stdout)
    }
    #expect(Set(outputs).count == 1)
    // int8 is not fp32.
    let fp32 = try CLI.heroID(["bottleneck"] + images + ["--json"])
    #expect(fp32.status == 0 && fp32.stdout != outputs[0])
    // A precision that does not exist is a usage error.
    let bad = try CLI.heroID(["bottleneck"] + images + ["--precision", "int4"])
    #expect(bad.status == 2, "\(bad.stderr)")
  }
}
