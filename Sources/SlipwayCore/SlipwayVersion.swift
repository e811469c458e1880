/// The version `slipway --version` prints.
public enum SlipwayVersion {
    public static let number = "0.9.0"
}
