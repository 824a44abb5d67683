import Foundation

/// Where hero-id keeps its files: `$HERO_ID_HOME`, default `~/.cache/hero-id`.
public enum HeroIDHome {
  /// The file name of the Inception weights inside the home folder.
  public static let inceptionFileName = "inception-2015-12-05.pt"

  /// The home folder (not created here).
  public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment)
    -> URL
  {
    if let home = environment["HERO_ID_HOME"], !home.isEmpty {
      return URL(fileURLWithPath: home, isDirectory: true)
    }
    return FileManager.default.homeDirectoryForCurrentUser
      .appendingPathComponent(".cache/hero-id", isDirectory: true)
  }

  /// The weights file: `--inception PATH` if given, else `$HERO_ID_INCEPTION`, else the home folder's.
  public static func inceptionPath(
    override: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    if let override, !override.isEmpty { return override }
    if let env = environment["HERO_ID_INCEPTION"], !env.isEmpty { return env }
    return directory(environment: environment).appendingPathComponent(inceptionFileName).path
  }
}
