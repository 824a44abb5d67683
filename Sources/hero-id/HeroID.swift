import ArgumentParser
import Foundation
import HeroCore
import Inception

@main
struct HeroID: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hero-id",
    abstract: "Name the hero a player controls in Honor of Kings gameplay videos.",
    discussion: """
      The method is transfer learning: key frames are decoded from each video, frames that do not \
      show the skill buttons (loading screens, the shop, menus) are dropped, the second-skill button \
      is cropped, Inception v3 (cut at pool_3) turns each crop into a 2048-float bottleneck, and a \
      trained final layer names the hero.

      Typical use:
        hero-id extract videos/李白/*.mp4 --out crops      # labelled skill-2 crops
        hero-id train crops --model hero-model             # new final layer
        hero-id identify clip.mp4 --model hero-model       # which hero?

      Weights: $HERO_ID_HOME/inception-2015-12-05.pt (HERO_ID_HOME defaults to ~/.cache/hero-id), \
      fetched by `make setup`; --inception PATH or $HERO_ID_INCEPTION override it.
      Exit codes: 0 success, 1 a failure of the input (named on stderr), 2 bad usage, 75 a \
      failure of the machine (no space left, a read-only file system, permission denied, an I/O \
      error; the cause is named): fix it and run the same command again.
      """,
    subcommands: [
      Extract.self, Train.self, Identify.self, Bottleneck.self, Batch.self, Screens.self,
      Locate.self, Doctor.self, Export.self, Report.self, Serve.self, Calibrate.self,
    ])

  static func main() async {
    OpenBLASKernel.ensure()  // may re-execute with OPENBLAS_CORETYPE set (a generic kernel)
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      if exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      if MachineFailure.isMachineFailure(error) {
        // Not the input's fault: the same command can succeed once the machine is fixed.
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(MachineFailure.exitStatus)
      }
      exit(withError: error)
    }
  }
}
