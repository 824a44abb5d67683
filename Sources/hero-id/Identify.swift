import ArgumentParser

struct Identify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identify", abstract: "(being built)")

  func run() async throws {
    throw ValidationError("hero-id identify is not available in this build yet")
  }
}
