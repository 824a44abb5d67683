import ArgumentParser
import Foundation
import HeroCore
import HeroPipeline
import Preprocess

/// `hero-id locate`: the active picture and the HUD found in each video (docs/footage.md).
struct Locate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Find each video's game picture and its skill buttons; print the geometry.",
    discussion: """
      Decodes the key frames, finds the game picture (black bars removed, the game inside a \
      stream layout) and scales it to 720 lines with its aspect ratio kept, then locates the \
      attack and skill buttons as one constellation anchored to the bottom-right corner (scale \
      0.72-1.34 of the layout, shift up to 72 px, or 216 px to the right for a picture cut at \
      its right edge); applies the container's rotation, reads mirrored uploads flipped back \
      and finds the game inside a vertical upload's blurred fill. Prints one line per video \
      (--json: one object per line: video, source, picture, in_layout, frame, rotation, \
      mirrored, hud {scale, dx, dy, buttons, slots_in_view}, frames, gameplay, searches, \
      changes; reason when no HUD was found). Exit 1 when a video cannot be read.
      """)

  @Argument(help: "Video files.")
  var videos: [String]

  @Option(help: "At most one key frame per this many seconds.")
  var every: Double?

  @Option(help: "Layout profile JSON (default: the built-in one).")
  var layout: String?

  @Option(
    name: .customLong("debug-hud"),
    help: "Write one annotated frame per video (buttons and crop squares drawn) into this folder.")
  var debugHUD: String?

  @Flag(help: "One JSON object per video on stdout.")
  var json = false

  func validate() throws {
    try validateEvery(every)
  }

  func run() async throws {
    let job = LocateJob(
      layout: try Layouts.load(path: layout), everySeconds: every, debugHUD: debugHUD)
    var failed = false
    for video in videos {
      let line = job.locate(video)
      if line.error != nil { failed = true }
      if json {
        print(line.json)
      } else {
        printError(line.human)
      }
    }
    if failed { throw ExitCode(1) }
  }
}
