/// Small syllable tables from which deterministic Chinese person and company names are built.
enum ChineseNameTables {
    static let surnames: [String] = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
        "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
        "肖", "田", "董", "潘", "蒋", "蔡", "余", "叶", "程", "苏", "吕", "丁", "沈", "姚", "卢", "金",
        "楼", "傅", "骆", "应", "虞", "方", "施", "陶", "毛", "龚", "邵", "钱", "严", "戴", "欧阳", "诸葛",
    ]

    static let givenNameCharacters: [String] = [
        "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
        "涛", "明", "超", "兰", "霞", "平", "刚", "桂", "华", "建", "国", "志", "红", "玉", "梅", "文",
        "斌", "宇", "浩", "凯", "鹏", "飞", "丹", "萍", "鑫", "婷", "雪", "琳", "晨", "旭", "佳", "欣",
    ]

    static let tradeNameCharacters: [StaticString] = [
        "华", "盛", "鑫", "源", "恒", "通", "宏", "达", "瑞", "丰", "泰", "和", "永", "康", "嘉", "顺",
        "德", "兴", "隆", "昌", "荣", "信", "安", "博", "远", "海", "天", "宇", "新", "金", "诚", "汇",
    ]

    static let industries: [StaticString] = [
        "贸易", "针织", "饰品", "电子商务", "五金", "日用品", "工艺品", "服装", "物流", "科技",
        "文具", "玩具", "箱包", "塑料制品", "进出口", "供应链",
    ]

    static let companyForms: [StaticString] = ["有限公司", "有限公司", "有限公司", "股份有限公司"]

    /// The city part of company names in 330782 (义乌市).
    static let cityPrefix: StaticString = "义乌市"

    /// A person's name from `bits`: surname plus one or two given-name characters.
    static func personName(_ bits: UInt64) -> String {
        var name = surnames[Int(bits % UInt64(surnames.count))]
        let rest = bits / UInt64(surnames.count)
        name += givenNameCharacters[Int(rest % UInt64(givenNameCharacters.count))]
        let more = rest / UInt64(givenNameCharacters.count)
        if more % 3 != 0 {
            name += givenNameCharacters[Int((more / 3) % UInt64(givenNameCharacters.count))]
        }
        return name
    }

    /// A company name from `bits`: city, two-character trade name, industry and legal form
    /// (at most 45 bytes, so it fits `InlineText` even with padding).
    static func companyName(_ bits: UInt64, padded: Bool) -> InlineText {
        var remaining = bits
        func pick(_ table: [StaticString]) -> StaticString {
            let choice = table[Int(remaining % UInt64(table.count))]
            remaining /= UInt64(table.count)
            return choice
        }
        var name = InlineText()
        if padded { name.append(ascii: UInt8(ascii: " ")) }
        name.append(cityPrefix)
        name.append(pick(tradeNameCharacters))
        name.append(pick(tradeNameCharacters))
        name.append(pick(industries))
        name.append(pick(companyForms))
        if padded {
            name.append(ascii: UInt8(ascii: " "))
            name.append(ascii: UInt8(ascii: " "))
        }
        return name
    }
}
