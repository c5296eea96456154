/// Names colours the way a person would describe a photo: a dozen everyday names chosen from
/// hue, saturation and lightness, not a paint catalogue.
enum ColourNames {
    /// The everyday name of an 8-bit sRGB colour.
    static func name(red: UInt8, green: UInt8, blue: UInt8) -> String {
        let r = Double(red) / 255, g = Double(green) / 255, b = Double(blue) / 255
        let maxC = max(r, g, b), minC = min(r, g, b)
        let lightness = (maxC + minC) / 2
        let chroma = maxC - minC
        if chroma < 0.08 || (lightness > 0.92 && chroma < 0.15) {
            if lightness < 0.18 { return "black" }
            if lightness > 0.85 { return "white" }
            return "grey"
        }
        if lightness < 0.1 { return "black" }
        var hue: Double
        if maxC == r {
            hue = ((g - b) / chroma).truncatingRemainder(dividingBy: 6)
        } else if maxC == g {
            hue = (b - r) / chroma + 2
        } else {
            hue = (r - g) / chroma + 4
        }
        hue *= 60
        if hue < 0 { hue += 360 }
        switch hue {
        case ..<15, 345...:
            return lightness > 0.7 ? "pink" : (lightness < 0.3 && chroma < 0.4 ? "brown" : "red")
        case ..<45:
            return lightness < 0.45 || chroma < 0.35 ? "brown" : "orange"
        case ..<70:
            return lightness < 0.35 ? "olive" : "yellow"
        case ..<165:
            return "green"
        case ..<195:
            return "teal"
        case ..<255:
            return "blue"
        case ..<290:
            return "purple"
        default:
            return lightness > 0.6 ? "pink" : "purple"
        }
    }
}
