import ArgumentParser

struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract", abstract: "(being built)")

  func run() async throws {
    throw ValidationError("hero-id extract is not available in this build yet")
  }
}
