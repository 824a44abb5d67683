import Foundation

/// One of `count` shards of a corpus (`--shard K/N`, K from 1 to N).
///
/// Each video goes to the shard picked by the SHA-1 of its path relative to the tree root
/// (`/`-separated, Unicode NFC), so N machines with the same tree split it with no
/// coordination, every video lands in exactly one shard, and adding or removing other videos
/// never moves a video to another shard.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  /// 1-based index of this shard.
  public let index: Int
  /// Number of shards.
  public let count: Int

  /// The whole corpus as one shard.
  public static let all = Shard(validIndex: 1, count: 1)

  private init(validIndex: Int, count: Int) {
    self.index = validIndex
    self.count = count
  }

  /// Shard `index` of `count`; throws when not `1 <= index <= count`.
  public init(index: Int, count: Int) throws {
    guard count >= 1, index >= 1, index <= count else {
      throw ShardError.invalid(text: "\(index)/\(count)")
    }
    self.init(validIndex: index, count: count)
  }

  /// Parses `K/N`, e.g. `2/4`.
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2,
      let k = Int(parts[0].trimmingCharacters(in: .whitespaces)),
      let n = Int(parts[1].trimmingCharacters(in: .whitespaces))
    else { throw ShardError.invalid(text: text) }
    do { try self.init(index: k, count: n) } catch { throw ShardError.invalid(text: text) }
  }

  public var description: String { "\(index)/\(count)" }

  /// True when the video at `relativePath` (relative to the tree root) belongs to this shard.
  public func contains(relativePath: String) -> Bool {
    Self.shardIndex(relativePath: relativePath, count: count) == index
  }

  /// The 1-based shard of `relativePath` among `count` shards: the first 8 bytes of the SHA-1
  /// of the normalised path, as a big-endian integer, modulo `count`, plus 1.
  public static func shardIndex(relativePath: String, count: Int) -> Int {
    precondition(count >= 1)
    var h = SHA1Hasher()
    h.update(normalise(relativePath))
    let digest = h.finalize()
    var v: UInt64 = 0
    for b in digest.prefix(8) { v = v << 8 | UInt64(b) }
    return Int(v % UInt64(count)) + 1
  }

  /// `/` separators, no leading `./` or `/`, Unicode NFC (macOS may hand out NFD names).
  static func normalise(_ path: String) -> String {
    var p = path.replacingOccurrences(of: "\\", with: "/")
    while p.hasPrefix("./") { p.removeFirst(2) }
    while p.hasPrefix("/") { p.removeFirst() }
    return p.precomposedStringWithCanonicalMapping
  }
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
public enum ShardError: Error, CustomStringConvertible, Equatable {
  case invalid(text: String)
  public var description: String {
    switch self {
    case .invalid(let t): "--shard \(t): expected K/N with 1 <= K <= N (e.g. 1/2)"
    }
  }
}
