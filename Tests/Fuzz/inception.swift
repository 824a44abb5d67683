import Foundation
// Fuzz target `inception`: the consumer of data.pkl. The input is the pickle; the harness
// wraps it in a stored zip as `a/data.pkl` next to small storages `a/data/0`..`a/data/3` and
// calls InceptionWeights.load(unverified:), which walks the module tree and checks tensors.
import Inception
import InceptionKernels

func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }

func storedZip(_ entries: [(String, [UInt8])]) -> [UInt8] {
  var out: [UInt8] = []
  var central: [UInt8] = []
  for (name, data) in entries {
    let offset = out.count
    let n = Array(name.utf8)
    out += le(0x0403_4b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
    out += le(data.count, 4) + le(data.count, 4) + le(n.count, 2) + le(0, 2) + n + data
    central += le(0x0201_4b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4)
    central += le(0, 4) + le(data.count, 4) + le(data.count, 4) + le(n.count, 2) + le(0, 2)
    central += le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + n
  }
  let cdOffset = out.count
  out += central
  out += le(0x0605_4b50, 4) + le(0, 4) + le(entries.count, 2) + le(entries.count, 2)
  out += le(central.count, 4) + le(cdOffset, 4) + le(0, 2)
  return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInception(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let pickle = Array(UnsafeBufferPointer(start: data, count: size))
  let storages = (0..<4).map { ("a/data/\($0)", [UInt8](repeating: 0, count: 128 << $0)) }
  let bytes = storedZip([("a/data.pkl", pickle)] + storages)
  if let zip = try? ZipArchive(data: Data(bytes), path: "fuzz.pt") {
    _ = try? InceptionWeights.load(unverified: zip)
  }
  return 0
}
