// Fuzz target `csv`: CSV.parse and Manifest.parse on arbitrary bytes.
import Foundation
import Labeler

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  if let records = try? CSV.parse(String(decoding: bytes, as: UTF8.self)) {
    // What the writer makes of the fields parses back to the same fields.
    for r in records.prefix(8) where !(r.fields.count == 1 && r.fields[0].isEmpty) {
      let again = try? CSV.parse(CSV.line(r.fields))
      precondition(again?.first?.fields == r.fields, "CSV round trip")
    }
  }
  if let m = try? Manifest.parse(bytes, path: "/fuzz/m.csv") {
    for (_, hero) in m.heroByPath where !hero.isEmpty {
      precondition(!hero.contains("/") && hero != ".." && !hero.hasPrefix("."))
    }
  }
  return 0
}
