import Foundation
import HeroCore
import Testing

@Suite struct ShardTests {
  @Test func parsesKOverN() throws {
    let s = try Shard(parsing: "2/5")
    #expect(s.index == 2 && s.count == 5)
    #expect(s.description == "2/5")
    #expect(try Shard(parsing: "1/1") == Shard.all)
  }

  @Test(arguments: ["0/2", "3/2", "1/0", "a/b", "1", "1/2/3", "", "-1/2", "/2"])
  func rejectsBadText(_ text: String) {
    #expect(throws: ShardError.invalid(text: text)) { try Shard(parsing: text) }
  }

  private var paths: [String] {
    (0..<400).map { i in "hero\(i % 7)/clip_\(i).mp4" } + ["李白/第一局.mp4", "貂蝉/a b.mkv"]
  }

  @Test(arguments: [1, 2, 3, 5])
  func everyPathLandsInExactlyOneShard(_ n: Int) throws {
    let shards = try (1...n).map { try Shard(index: $0, count: n) }
    for p in paths {
      #expect(shards.filter { $0.contains(relativePath: p) }.count == 1, "\(p)")
    }
  }

  @Test func assignmentIsStableAndRoughlyEven() {
    // Stable: the same answer every time, and independent of which other paths exist.
    let first = paths.map { Shard.shardIndex(relativePath: $0, count: 4) }
    let again = paths.reversed().map { Shard.shardIndex(relativePath: $0, count: 4) }.reversed()
    #expect(first == Array(again))
    // Pinned values (from `printf %s PATH | sha1sum`, first 16 hex digits mod N, plus 1), so a
    // change of the hash, which would reshuffle running jobs, fails here.
    #expect([2, 3, 7].map { Shard.shardIndex(relativePath: "a.mp4", count: $0) } == [1, 1, 4])
    #expect(
      [2, 3, 7].map { Shard.shardIndex(relativePath: "李白/第一局.mp4", count: $0) } == [1, 3, 4])
    // Roughly even: 402 paths over 4 shards, none with fewer than half its share.
    for k in 1...4 { #expect(first.filter { $0 == k }.count > 50) }
  }

  @Test func pathSpellingsOfTheSameFileAgree() {
    let nfc = "貂蝉/é.mp4"
    let nfd = "貂蝉/e\u{301}.mp4"
    for n in [2, 3, 7] {
      let k = Shard.shardIndex(relativePath: nfc, count: n)
      #expect(Shard.shardIndex(relativePath: nfd, count: n) == k)
      #expect(Shard.shardIndex(relativePath: "./" + nfc, count: n) == k)
    }
  }
}
