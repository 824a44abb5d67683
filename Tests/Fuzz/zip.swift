import Foundation
// Fuzz target `zip`: ZipArchive on arbitrary bytes, then every stored entry read back.
import Inception

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  if let zip = try? ZipArchive(data: Data(bytes: data, count: size), path: "fuzz.pt") {
    for (_, bytes) in zip.storedEntries() { precondition(bytes.count <= size) }
  }
  return 0
}
