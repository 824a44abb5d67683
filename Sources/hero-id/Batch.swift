import ArgumentParser
import Foundation
import HeroCore

struct Batch: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Process whole trees of videos: parallel, resumable, observable, shardable.",
    discussion: """
      batch extract TREE --out CROPS          scraped tree -> labelled crops
      batch identify TREE --model DIR --report FILE.csv
                                              any tree -> one row per clip
      batch merge SHARD_OUT... --out DIR      shard outputs -> one training set

      Resumable: every settled video is journaled (append-only JSONL, fsync'd) in \
      CROPS/.batch/journal.jsonl (identify: FILE.csv.journal.jsonl), keyed by the SHA-1 of the \
      video's content. A run killed at any point (even kill -9) and started again with the same \
      command finishes the rest: finished videos are not redone, a half-committed video is \
      rolled back and redone, and no crop or index row is duplicated or half-written. The same \
      video under two names is processed once (the other is reported as a duplicate). Failed \
      videos are not retried by a restart unless --retry-failed.

      Sharding: --shard K/N keeps the videos whose path relative to TREE hashes (SHA-1) to \
      shard K of N, so N machines split one corpus with no coordination; `batch merge` then \
      combines their outputs.

      Progress goes to stderr (a redrawn bar on a terminal, plain lines otherwise), then a \
      summary. See docs/batch.md.
      """,
    subcommands: [BatchExtract.self, BatchIdentify.self, BatchMerge.self])
}

/// Options shared by `batch extract` and `batch identify`.
struct BatchOptions: ParsableArguments {
  @Option(
    name: .customLong("shard"),
    help: ArgumentHelp(
      "Process only shard K of N (K from 1 to N), chosen by a stable hash of each video's path.",
      valueName: "K/N"))
  var shardText: String?

  @Option(help: "Videos processed at once (default: one per core).")
  var jobs: Int?

  @Flag(help: "Process again the videos that failed in an earlier run.")
  var retryFailed = false

  @Flag(help: "Per-video JSON objects, then a summary object, on stdout.")
  var json = false

  @Flag(help: "No progress or summary on stderr (failures are still named).")
  var quiet = false

  func validate() throws {
    if let shardText {
      do { _ = try Shard(parsing: shardText) } catch { throw ValidationError("\(error)") }
    }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
  }

  var shard: Shard { shardText.flatMap { try? Shard(parsing: $0) } ?? .all }
  var jobCount: Int { jobs ?? defaultJobs() }

  /// The videos of `tree` in this shard.
  func videos(in tree: String) throws -> [VideoFile] {
    let shard = self.shard
    return try VideoTree.videos(under: tree).filter {
      shard.contains(relativePath: $0.relativePath)
    }
  }

  func driver(label: String, store: BatchStore) -> BatchDriver {
    BatchDriver(label: label, store: store, jobs: jobCount, retryFailed: retryFailed, quiet: quiet)
  }
}

/// Prints `lines` on stdout, one per line (the parent task is the only writer of stdout).
func printLines(_ lines: [String]) {
  guard !lines.isEmpty else { return }
  FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}
