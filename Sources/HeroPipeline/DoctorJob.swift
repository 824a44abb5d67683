import Foundation
import HeroCore
import Inception
import InceptionKernels

/// `doctor`: what this machine gives hero-id — the OpenBLAS kernel in use (and why), threads,
/// the CPU, and the weights file.
public struct DoctorJob {
  public struct Options: Sendable {
    /// `--inception` (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// Also time sgemm 512³ at OpenBLAS's thread count.
    public var speed = false
    public init() {}
  }

  /// The report's lines, and whether the weights were found with the right SHA-1.
  public struct Report: Sendable {
    public var lines: [String]
    public var weightsOK: Bool
  }

  public let options: Options

  public init(options: Options) { self.options = options }

  public func run() throws -> Report {
    let environment = ProcessInfo.processInfo.environment
    let cpu = OpenBLASKernel.CPU.current()
    var lines: [String] = []
    let how: String
    switch OpenBLASKernel.lastDecision {
    case .keep(let reason)?: how = reason
    case .verify?:
      let before = OpenBLASKernel.replacedCore(environment: environment) ?? "another"
      how = "forced by hero-id (OpenBLAS picked \(before)); checked against a plain loop"
    case .reexecute?, nil: how = "not checked"
    }
    lines.append("kernel: \(BLAS.corename) (\(how))")
    lines.append("openblas: \(BLAS.config)")
    if let path = Kernels.gemmPath {
      let forced =
        path != Kernels.gemmPaths.last ? "; HERO_ID_GEMM=avx2, the CPU also runs AVX-512" : ""
      lines.append(
        "convolutions: hero-id's GEMM on weights packed at load (\(path.rawValue)\(forced)); "
          + "OpenBLAS for the rest")
    } else {
      lines.append(
        "convolutions: OpenBLAS for every product"
          + (environment["HERO_ID_GEMM"] == "openblas"
            ? " (HERO_ID_GEMM=openblas)" : " (no AVX2/FMA)"))
    }
    // The Winograd transforms follow the packed GEMM onto AVX2 (HERO_ID_GEMM=avx2), not onto
    // OpenBLAS: HERO_ID_GEMM=openblas moves only the products.
    let transforms = Kernels.winogradPath
    let transformsForced =
      transforms != Kernels.winogradPaths.last
      ? "; HERO_ID_GEMM=avx2, the CPU also runs \(Kernels.winogradPaths.last?.rawValue ?? "none")"
      : ""
    lines.append("winograd transforms: \(transforms.rawValue)\(transformsForced)")
    let int8 = Kernels.int8Path
    let int8Forced =
      int8 != Kernels.int8Paths.last
      ? " (HERO_ID_INT8; the CPU also runs \(Kernels.int8Paths.last?.rawValue ?? "none"))" : ""
    lines.append("int8: \(int8.rawValue)\(int8Forced), for --precision int8")
    lines.append(
      "threads: \(ProcessInfo.processInfo.activeProcessorCount) cores, "
        + "OpenBLAS \(BLAS.threads) threads")
    let model = cpu.modelName.isEmpty ? "unknown" : cpu.modelName
    let vendor = cpu.vendor.isEmpty ? "" : " (\(cpu.vendor))"
    lines.append("cpu: \(model)\(vendor)")
    let wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
    let have = wanted.filter(cpu.flags.contains)
    let best = OpenBLASKernel.matchingCore(for: cpu) ?? "any"
    lines.append(
      "cpu flags: \(have.isEmpty ? "none of sse4_2 avx avx2 fma avx512" : have.joined(separator: " "))"
        + " (best kernel: \(best))")
    if options.speed {
      lines.append(String(format: "sgemm 512^3: %.1f GFLOP/s", OpenBLASKernel.sgemmRate(size: 512)))
    }
    let path = HeroIDHome.inceptionPath(override: options.inception)
    guard FileManager.default.fileExists(atPath: path) else {
      lines.append("weights: \(path): missing (run make setup)")
      return Report(lines: lines, weightsOK: false)
    }
    let sha1 = try SHA1.hex(fileAt: path)
    let expected = InceptionConstants.expectedSHA1
    if sha1 == expected {
      lines.append("weights: \(path) (SHA-1 \(sha1) ok)")
      return Report(lines: lines, weightsOK: true)
    }
    lines.append("weights: \(path): SHA-1 \(sha1), expected \(expected)")
    return Report(lines: lines, weightsOK: false)
  }
}
