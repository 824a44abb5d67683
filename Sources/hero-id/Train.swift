import ArgumentParser

struct Train: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "(being built)")

  func run() async throws {
    throw ValidationError("hero-id train is not available in this build yet")
  }
}
