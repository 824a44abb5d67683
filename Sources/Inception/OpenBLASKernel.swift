import Foundation
import InceptionKernels

/// Which OpenBLAS kernel ("core type") the process should run, and the start-up step that
/// arranges it.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its kernel once, when the library loads,
/// from cpuid, and falls back to a generic one (`Prescott`, SSE3 only) for a CPU it does not
/// know — a virtual machine whose CPU model is generic, or a CPU newer than the library. The
/// generic kernel runs `sgemm` about 4x slower than the AVX2 (`Haswell`, `Zen`) or AVX-512
/// (`SkylakeX`) ones. `OPENBLAS_CORETYPE` overrides the choice, but is read only at load: so
/// ``ensure(arguments:)`` re-executes the process once with it set, and the new process checks
/// a small GEMM against a plain loop before trusting the kernel.
///
/// The decision is ``decide(corename:cpu:environment:)``, a pure function of OpenBLAS's
/// corename, the CPU's flags and the environment, so tests can fake all three.
public enum OpenBLASKernel {
  /// The environment variable OpenBLAS reads at load to force a kernel.
  public static let coreTypeVariable = "OPENBLAS_CORETYPE"
  /// Set by the re-execution: `forced:<corename OpenBLAS picked>` in the process started with a
  /// forced kernel, `fallback` in the one started again without it after a failed self-check.
  /// Its presence stops any further re-execution.
  public static let markerVariable = "HERO_ID_OPENBLAS_REEXEC"

  /// Kernels that use AVX-512 (fine on an AVX-512 CPU).
  static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
  /// Kernels that use AVX2 and FMA, or better (fine on an AVX2 CPU without AVX-512).
  static let avx2Cores: Set<String> = avx512Cores.union(["haswell", "zen"])

  /// What the CPU offers: its vendor, model name and flags, as `/proc/cpuinfo` lists them.
  public struct CPU: Sendable, Equatable {
    public var vendor: String
    public var modelName: String
    public var flags: Set<String>

    public init(vendor: String, modelName: String, flags: Set<String>) {
      self.vendor = vendor
      self.modelName = modelName
      self.flags = flags
    }

    /// AVX-512 as OpenBLAS's SkylakeX kernels need it (F, CD, BW, DQ, VL).
    public var hasAVX512: Bool {
      ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }
    /// AVX2 with FMA, as the Haswell and Zen kernels need them.
    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }
    /// An AMD CPU (`AuthenticAMD`, or "AMD" in the model name when the vendor is missing).
    public var isAMD: Bool {
      vendor == "AuthenticAMD" || (vendor.isEmpty && modelName.contains("AMD"))
    }

    /// The first processor's `vendor_id`, `model name` and `flags` of a `/proc/cpuinfo` text;
    /// empty fields where a line is missing (another OS, an unusual kernel).
    public static func parse(cpuinfo text: String) -> CPU {
      var vendor = ""
      var model = ""
      var flags: Set<String> = []
      var seen: Set<String> = []
      for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty, !seen.isEmpty { break }  // the end of the first processor
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !seen.contains(key) else { continue }
        switch key {
        case "vendor_id": vendor = value
        case "model name": model = value
        case "flags": flags = Set(value.split(separator: " ").map(String.init))
        default: continue
        }
        seen.insert(key)
      }
      return CPU(vendor: vendor, modelName: model, flags: flags)
    }

    /// This machine's CPU, from `/proc/cpuinfo` (empty where it cannot be read).
    public static func current() -> CPU {
      guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
        return CPU(vendor: "", modelName: "", flags: [])
      }
      return parse(cpuinfo: text)
    }
  }

  /// What to do at start-up.
  public enum Decision: Sendable, Equatable {
    /// Run with the kernel OpenBLAS loaded; `reason` says why in a few words.
    case keep(reason: String)
    /// Re-execute once with `OPENBLAS_CORETYPE=coreType`.
    case reexecute(coreType: String)
    /// This process was started with a forced kernel: check it before use.
    case verify(coreType: String)
  }

  /// The fastest kernel for `cpu`, or nil when it has neither AVX2+FMA nor AVX-512 (then the
  /// kernel OpenBLAS picked is as good as any this library forces).
  public static func matchingCore(for cpu: CPU) -> String? {
    if cpu.hasAVX512 { return "SkylakeX" }
    if cpu.hasAVX2 { return cpu.isAMD ? "Zen" : "Haswell" }
    return nil
  }

  /// Whether `corename` (as `openblas_get_corename()` gives it) uses what `cpu` offers.
  public static func isSuitable(corename: String, for cpu: CPU) -> Bool {
    let name = corename.lowercased()
    if cpu.hasAVX512 { return avx512Cores.contains(name) }
    if cpu.hasAVX2 { return avx2Cores.contains(name) }
    return true
  }

  /// The start-up decision: re-execute with the matching kernel when OpenBLAS loaded one that
  /// leaves the CPU's AVX2/FMA or AVX-512 unused, unless the user set `OPENBLAS_CORETYPE`
  /// or this process is already the re-executed one.
  public static func decide(corename: String, cpu: CPU, environment: [String: String])
    -> Decision
  {
    if let marker = environment[markerVariable] {
      if marker.hasPrefix("forced") {
        return .verify(coreType: environment[coreTypeVariable] ?? corename)
      }
      return .keep(reason: "the default kernel, after the forced one failed its check")
    }
    if let user = environment[coreTypeVariable], !user.isEmpty {
      return .keep(reason: "\(coreTypeVariable)=\(user) set by the user")
    }
    guard let best = matchingCore(for: cpu) else {
      return .keep(reason: "the CPU has no AVX2/FMA or AVX-512 kernel to force")
    }
    if isSuitable(corename: corename, for: cpu) {
      return .keep(reason: "detected by OpenBLAS")
    }
    return .reexecute(coreType: best)
  }

  /// The decision taken in this process (set by ``ensure(arguments:)``), for `hero-id doctor`.
  nonisolated(unsafe) public private(set) static var lastDecision: Decision?

  /// Arranges the matching kernel at start-up: call first thing in `main`, before any thread
  /// starts. May not return (it re-executes the process, whose standard streams and arguments
  /// are the same). In a re-executed process it checks the forced kernel with a small GEMM
  /// against a plain loop, and on a mismatch (or a kernel OpenBLAS did not take) re-executes
  /// once more without it, saying so once on stderr.
  public static func ensure(arguments: [String] = CommandLine.arguments) {
    let environment = ProcessInfo.processInfo.environment
    let decision = decide(corename: BLAS.corename, cpu: CPU.current(), environment: environment)
    lastDecision = decision
    switch decision {
    case .keep:
      return
    case .reexecute(let core):
      reexecute(arguments, coreType: core, marker: "forced:\(BLAS.corename)")
    case .verify(let core):
      let loaded = BLAS.corename
      let took = loaded.lowercased() == core.lowercased()
      let error = took ? selfCheckError() : nil
      if took, let error, error <= 1e-4 { return }
      let why =
        took
        ? "its GEMM differs from a plain loop by \(error ?? .nan)"
        : "OpenBLAS loaded \(loaded) instead"
      FileHandle.standardError.write(
        Data(
          "hero-id: warning: the OpenBLAS kernel \(core) failed its check (\(why)); using the default kernel\n"
            .utf8))
      reexecute(arguments, coreType: nil, marker: "fallback")
    }
  }

  /// Replaces this process by a fresh run of the same executable and arguments, with
  /// `OPENBLAS_CORETYPE` set to `coreType` (or unset) and the marker set; returns only if the
  /// exec fails (then the process goes on with the kernel it has).
  private static func reexecute(_ arguments: [String], coreType: String?, marker: String) {
    #if os(Linux)
      let executable = "/proc/self/exe"
    #else
      guard let executable = Bundle.main.executablePath else { return }
    #endif
    if let coreType {
      setenv(coreTypeVariable, coreType, 1)
    } else {
      unsetenv(coreTypeVariable)
    }
    setenv(markerVariable, marker, 1)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
    argv.append(nil)
    execv(executable, argv)
    // Only on failure: run on as we are.
    for p in argv { free(p) }
    unsetenv(markerVariable)
  }

  /// The kernel OpenBLAS picked by itself before this process forced another (from the
  /// marker), or nil when none was forced.
  public static func replacedCore(environment: [String: String]) -> String? {
    guard let marker = environment[markerVariable], marker.hasPrefix("forced:") else {
      return nil
    }
    return String(marker.dropFirst("forced:".count))
  }

  /// `sgemm` speed in GFLOP/s on `size`³ (best of `runs`, after one warm-up), at OpenBLAS's
  /// current thread count.
  public static func sgemmRate(size: Int = 512, runs: Int = 3) -> Double {
    let n = max(1, size)
    let a = [Float](repeating: 0.5, count: n * n)
    let b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = Double.infinity
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else {
            return
          }
          for run in 0...max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(pa, pb, into: pc, m: n, n: n, k: n)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { best = min(best, seconds) }
          }
        }
      }
    }
    return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
  }

  /// The largest relative difference between OpenBLAS's `sgemm` and a plain double-precision
  /// loop on a 67x61 by 61x83 product of fixed values (sizes that use the kernel's edge cases).
  public static func selfCheckError() -> Float {
    let m = 67
    let k = 61
    let n = 83
    var a = [Float](repeating: 0, count: m * k)
    var b = [Float](repeating: 0, count: k * n)
    for i in 0..<(m * k) { a[i] = Float((i * 37) % 101) / 50 - 1 }
    for i in 0..<(k * n) { b[i] = Float((i * 53) % 97) / 48 - 1 }
    var c = [Float](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          guard let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = pc.baseAddress else {
            return
          }
          BLAS.gemm(pa, pb, into: pc, m: m, n: n, k: k)
        }
      }
    }
    var worst: Float = 0
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        var magnitude = 0.0
        for p in 0..<k {
          let x = Double(a[i * k + p]) * Double(b[p * n + j])
          sum += x
          magnitude += abs(x)
        }
        let error = Float(abs(Double(c[i * n + j]) - sum) / max(magnitude, 1e-30))
        if !(error <= worst) { worst = error }  // NaN wins
      }
    }
    return worst
  }
}
