import Foundation
import HeroCore

/// Everything random about a clip, drawn once from its seed, so that any frame can be rendered
/// on its own (random access) and the same seed always gives the same frames.
struct ClipTimeline: Sendable {
  struct Floater: Sendable {
    var t0: Double
    var life: Double
    var x: Double
    var y: Double
    var vx: Double
    var vy: Double
    var size: Double
    var color: Color
    var value: Int
  }
  struct Unit: Sendable {
    var isMinion: Bool
    var ally: Bool
    var x0: Double
    var y0: Double
    var vx: Double
    var vy: Double
    var phase: Double
    var color: Color
  }

  let duration: Double
  /// Cooldown in seconds of skills 1, 2, 3.
  let cooldowns: [Double]
  /// Times each skill is used.
  let uses: [[Double]]
  let attacks: [Double]
  let damage: [Floater]
  let sparks: [Floater]
  let units: [Unit]
  let pathAmp: [Double]
  let pathFreq: [Double]
  let pathPhase: [Double]
  let drift: (Double, Double)
  let terrainSeed: UInt64
  /// Loading screen: the 10 cards in order (team A then team B) and their loading speeds.
  let cards: [HeroSpec]
  let playerCard: Int?
  let loadStart: [Double]
  let loadRate: [Double]
  let shopTab: Int
  let shopSeed: UInt64
  let otherSeed: UInt64
  let gold: Int
  let clockStart: Double
  let kills: (Int, Int)

  init(spec: ClipSpec) {
    var g = SplitMix64(seed: SplitMix64.derive(spec.seed, 1))
    duration = spec.duration
    cooldowns = [g.uniform(4, 8), g.uniform(5, 9), g.uniform(12, 22)]
    var uses: [[Double]] = []
    for cd in cooldowns {
      var list: [Double] = []
      var t = g.uniform(-cd, 3)
      while t < spec.duration {
        list.append(t)
        t += cd + g.uniform(0.8, 7)
      }
      uses.append(list)
    }
    self.uses = uses
    var attacks: [Double] = []
    var t = g.uniform(0, 1)
    while t < spec.duration {
      attacks.append(t)
      t += g.uniform(0.4, 2.5)
    }
    self.attacks = attacks
    let damageColors = [0xFFFFFF, 0xFF9A2A, 0xFF3A3A, 0xFFE040, 0x7AE0FF].map { Color(hex: $0) }
    var damage: [Floater] = []
    t = g.uniform(0, 0.5)
    while t < spec.duration {
      let overHUD = g.chance(0.45)
      damage.append(
        Floater(
          t0: t, life: g.uniform(0.7, 1.3), x: overHUD ? g.uniform(880, 1230) : g.uniform(380, 900),
          y: overHUD ? g.uniform(390, 700) : g.uniform(180, 520), vx: g.uniform(-25, 25),
          vy: g.uniform(-90, -35), size: g.uniform(20, 36), color: g.pick(damageColors),
          value: g.int(40...1900)))
      t += g.uniform(0.15, 0.7)
    }
    self.damage = damage
    let theme = spec.hero?.art.theme ?? Color(hex: 0xFFC060)
    var sparks: [Floater] = []
    t = g.uniform(0, 0.5)
    while t < spec.duration {
      let overHUD = g.chance(0.55)
      sparks.append(
        Floater(
          t0: t, life: g.uniform(0.35, 1.0),
          x: overHUD ? g.uniform(900, 1220) : g.uniform(350, 950),
          y: overHUD ? g.uniform(380, 700) : g.uniform(150, 550), vx: g.uniform(-80, 80),
          vy: g.uniform(-80, 40), size: g.uniform(10, 42),
          color: g.chance(0.5) ? theme : Color(g.unit(), g.unit(), g.unit()).lighter(0.3),
          value: g.int(3...7)))
      t += g.uniform(0.2, 1.2)
    }
    self.sparks = sparks
    var units: [Unit] = []
    for k in 0..<10 {
      let minion = k < 8
      let ally = k % 2 == 0
      units.append(
        Unit(
          isMinion: minion, ally: ally, x0: g.uniform(-700, 700), y0: g.uniform(-260, 240),
          vx: (ally ? 1 : -1) * g.uniform(20, 60), vy: g.uniform(-15, 15),
          phase: g.uniform(0, 6.28),
          color: minion
            ? Color(hex: ally ? 0x3A8AE8 : 0xE84A3A) : Color(g.unit(), g.unit(), g.unit())))
    }
    self.units = units
    pathAmp = (0..<4).map { _ in g.uniform(40, 160) }
    pathFreq = (0..<4).map { _ in g.uniform(0.15, 0.6) }
    pathPhase = (0..<4).map { _ in g.uniform(0, 6.28) }
    drift = (g.uniform(-90, 90), g.uniform(-60, 60))
    terrainSeed = g.next()
    var pool = Heroes.all.filter { $0.name != spec.hero?.name }
    for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, g.int(0...i)) }
    if let hero = spec.hero {
      let at = g.int(0...4)
      pool.insert(hero, at: at)
      playerCard = at
    } else {
      playerCard = nil
    }
    cards = Array(pool.prefix(10))
    loadStart = (0..<10).map { _ in g.uniform(0, 35) }
    loadRate = (0..<10).map { _ in g.uniform(14, 40) }
    shopTab = g.int(0...5)
    shopSeed = g.next()
    otherSeed = g.next()
    gold = g.int(300...9000)
    clockStart = g.uniform(30, 900)
    kills = (g.int(0...25), g.int(0...25))
  }

  /// The hero's position in the world at time `t` (the camera follows it).
  func heroPosition(_ t: Double) -> (x: Double, y: Double) {
    let x =
      drift.0 * t + pathAmp[0] * sin(pathFreq[0] * t + pathPhase[0])
      + pathAmp[1] * sin(pathFreq[1] * t + pathPhase[1])
    let y =
      drift.1 * t + pathAmp[2] * sin(pathFreq[2] * t + pathPhase[2])
      + pathAmp[3] * 0.5 * sin(pathFreq[3] * t + pathPhase[3])
    return (x, y)
  }

  /// The time of the last use of skill `slot` (0, 1, 2) at or before `t`.
  func lastUse(slot: Int, at t: Double) -> Double? { uses[slot].last { $0 <= t } }

  /// Cooldown seconds left for skill `slot` at time `t`, or nil when it is ready.
  func cooldownLeft(slot: Int, at t: Double) -> Double? {
    guard let u = lastUse(slot: slot, at: t) else { return nil }
    let left = cooldowns[slot] - (t - u)
    return left > 0 ? left : nil
  }

  /// The glow (1 right after use, fading to 0 in 0.4 s) of skill `slot` at time `t`.
  func glow(slot: Int, at t: Double) -> Double {
    guard let u = lastUse(slot: slot, at: t), t - u < 0.4 else { return 0 }
    return 1 - (t - u) / 0.4
  }
}
