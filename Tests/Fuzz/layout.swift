// Fuzz target `layout`: LayoutProfile.decode and the usability check on arbitrary bytes.
import Foundation
import HeroCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLayout(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  if let profile = try? LayoutProfile.decode(bytes, source: "fuzz.json") {
    _ = profile.usabilityProblem(source: "fuzz.json")
    let r = profile.cropRect
    // A validated profile's crop lies in its frame.
    precondition(r.x >= 0 && r.maxX <= profile.frame.width && r.maxY <= profile.frame.height)
  }
  var p = LayoutProfile.default
  // Unvalidated numbers straight from the input: cropRect and validate must not trap.
  if size >= 24 {
    let v = bytes.withUnsafeBytes { raw in
      (0..<3).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int.self) }
    }
    p.skills["skill2"] = .init(cx: v[0], cy: v[1], r: v[2])
    p.crop.size = v[2]
    _ = p.cropRect
    _ = p.usabilityProblem()
  }
  return 0
}
