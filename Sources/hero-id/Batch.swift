import ArgumentParser

struct Batch: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch", abstract: "(being built)")

  func run() async throws {
    throw ValidationError("hero-id batch is not available in this build yet")
  }
}
