/// The zj-irs envelope codes the sandbox answers with.
enum GatewayCode: String, Sendable {
    case success = "00"
    case secretExpired = "11"
    case signatureError = "14"
    case overQuota = "18"
    case missingParameter = "97"
    case wrongParameterType = "98"

    /// The envelope's `msg` for this code (parameter errors name the parameter themselves).
    var message: String {
        switch self {
        case .success: "成功"
        case .secretExpired: "秘钥已过期"
        case .signatureError: "签名错误"
        case .overQuota: "超出调用次数限制"
        case .missingParameter: "缺少参数"
        case .wrongParameterType: "参数类型错误"
        }
    }
}
