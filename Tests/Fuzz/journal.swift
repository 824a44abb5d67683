// Fuzz target `journal`: Journal.decode of batch journal lines (BatchRecord), then the checks a
// merge or a roll-back applies before acting on a record (BatchRecord.validated): every record
// that passes names crops inside their folder only, under a valid hero name.
import Foundation
import HeroCore
import Labeler

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let contents = Journal.decode(BatchRecord.self, from: Data(bytes: data, count: size))
  for r in contents.records {
    guard let ok = try? r.validated(source: "fuzz/journal.jsonl") else { continue }
    if let hero = ok.hero, !hero.isEmpty {
      precondition((try? HeroName.validate(hero, source: "fuzz")) == hero)
    }
    for c in ok.crops ?? [] {
      precondition(RelativePath.problem(c.file) == nil && c.ptsSeconds.isFinite)
      let url = URL(fileURLWithPath: "/nonexistent-root").appendingPathComponent(c.file)
      precondition(url.standardizedFileURL.path.hasPrefix("/nonexistent-root/"))
    }
  }
  return 0
}
