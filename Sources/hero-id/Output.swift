import ArgumentParser
import Foundation
import FrameExtractor
import HeroCore
import Preprocess

/// Writes JSON lines on stdout (the parent task is the only writer of stdout).
func printJSON(_ values: [JSONValue]) {
  guard !values.isEmpty else { return }
  FileHandle.standardOutput.write(Data((values.map(\.text).joined(separator: "\n") + "\n").utf8))
}

/// The `--every` check every command shares: finite and at least 1 ms
/// (`ExtractOptions.everyProblem`), else bad usage (exit 2).
func validateEvery(_ every: Double?) throws {
  if let every, let why = ExtractOptions.everyProblem(every) { throw ValidationError(why) }
}

/// `--slots LIST` for `layout` (nil when not given); a bad list is a usage error (exit 2).
func slotList(_ text: String?, layout: LayoutProfile) throws -> [String]? {
  guard let text else { return nil }
  do { return try layout.skillSlots(text) } catch { throw ValidationError(error.description) }
}

/// `validate()`'s check of `--slots`: against the layout file if it loads, else the built-in one.
func validateSlots(_ text: String?, layoutPath: String?) throws {
  _ = try slotList(text, layout: (try? Layouts.load(path: layoutPath)) ?? .default)
}
