import ArgumentParser

struct Bottleneck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bottleneck", abstract: "(being built)")

  func run() async throws {
    throw ValidationError("hero-id bottleneck is not available in this build yet")
  }
}
