// Fuzz target `journal`: Journal.decode of batch-journal-like records, then the validators a
// merge applies to what a shard's journal says (hero names, crop paths).
import Foundation
import HeroCore
import Labeler

struct Crop: Codable {
  var file: String
  var ptsSeconds: Double
  var screen: String
}

struct Record: Codable {
  var kind: String
  var video: String?
  var hash: String?
  var size: Int64?
  var mtime: Double?
  var hero: String?
  var crops: [Crop]?
  var indexBytes: Int64?
  var options: [String: String]?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let contents = Journal.decode(Record.self, from: Data(bytes: data, count: size))
  for r in contents.records {
    if let video = r.video, RelativePath.problem(video) == nil {
      precondition(!video.hasPrefix("/") && !video.split(separator: "/").contains(".."))
    }
    if let hero = r.hero, let valid = try? HeroName.validate(hero, source: "fuzz") {
      precondition(RelativePath.problem(valid) == nil, "a valid hero name is a safe folder name")
    }
    for c in r.crops ?? [] {
      if let url = try? RelativePath.resolve(
        c.file, under: URL(fileURLWithPath: "/nonexistent-root"), field: "file", source: "fuzz")
      {
        precondition(url.path.hasPrefix("/nonexistent-root/"))
      }
    }
  }
  return 0
}
