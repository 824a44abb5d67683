import ArgumentParser
import Foundation
import HeroCore

/// Writes JSON lines on stdout (the parent task is the only writer of stdout).
func printJSON(_ values: [JSONValue]) {
  guard !values.isEmpty else { return }
  FileHandle.standardOutput.write(Data((values.map(\.text).joined(separator: "\n") + "\n").utf8))
}

/// The `--every` check every command shares.
func validateEvery(_ every: Double?) throws {
  if let every, !(every > 0 && every.isFinite) {
    throw ValidationError("--every must be a positive number of seconds")
  }
}
