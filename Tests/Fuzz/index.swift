// Fuzz target `index`: CropIndex.parse on arbitrary bytes; every accepted row names a
// file inside the folder.
import Foundation
import HeroCore
import Labeler

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  if let rows = try? CropIndex.parse(bytes, path: "fuzz/index.csv") {
    for row in rows {
      precondition(RelativePath.problem(row.file) == nil && row.ptsSeconds.isFinite)
      precondition(!row.file.split(separator: "/").contains(".."))
    }
  }
  return 0
}
