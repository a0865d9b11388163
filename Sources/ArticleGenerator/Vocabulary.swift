/// Words the generator builds text from: everyday news vocabulary, written for this project.
enum Vocabulary {
    static let chinese: [String] = [
        "美国", "中国", "政府", "总统", "国会", "议员", "官员", "部长", "外交", "经济", "贸易", "关税", "市场", "投资",
        "公司", "企业", "银行", "货币", "通胀", "就业", "工人", "学生", "大学", "教育", "科技", "网络", "数据", "安全",
        "隐私", "法律", "法院", "法官", "判决", "调查", "报告", "声明", "发言人", "记者", "媒体", "新闻", "采访", "消息",
        "选举", "投票", "选民", "候选人", "民主", "自由", "人权", "抗议", "示威", "警察", "军队", "士兵", "演习", "导弹",
        "核武", "朝鲜", "韩国", "日本", "台湾", "香港", "欧洲", "俄罗斯", "乌克兰", "印度", "伊朗", "联合国", "北约",
        "疫情", "病毒", "疫苗", "医院", "医生", "病人", "卫生", "气候", "能源", "石油", "天然气", "电力", "环境", "污染",
        "地震", "洪水", "台风", "救援", "灾民", "农民", "粮食", "价格", "上涨", "下跌", "增长", "下降", "预计", "表示",
        "认为", "指出", "强调", "呼吁", "批评", "支持", "反对", "宣布", "计划", "政策", "措施", "改革", "合作", "谈判",
        "会议", "峰会", "协议", "条约", "制裁", "冲突", "危机", "风险", "挑战", "机会", "未来", "历史", "文化", "社会",
        "城市", "乡村", "地区", "国家", "世界", "全球", "国际", "国内", "今年", "去年", "本周", "周一", "周三", "周五",
        "上午", "下午", "晚间", "目前", "已经", "仍然", "可能", "必须", "继续", "开始", "结束", "重要", "严重", "明显",
    ]

    static let chineseConnectors: [String] = ["，", "，", "、", "的", "和", "与", "在", "对", "将", "也", "并", "但"]

    static let english: [String] = [
        "government", "president", "congress", "minister", "officials", "economy", "trade", "tariffs", "market",
        "investment", "company", "bank", "inflation", "jobs", "workers", "students", "university", "technology",
        "network", "data", "security", "privacy", "court", "judge", "ruling", "investigation", "report", "statement",
        "spokesperson", "reporters", "media", "election", "vote", "voters", "candidate", "democracy", "freedom",
        "protest", "police", "military", "exercise", "missile", "nuclear", "Korea", "Japan", "Europe", "Russia",
        "Ukraine", "India", "Iran", "pandemic", "virus", "vaccine", "hospital", "doctors", "climate", "energy", "oil",
        "power", "environment", "earthquake", "flood", "rescue", "farmers", "food", "prices", "growth", "policy",
        "reform", "cooperation", "talks", "summit", "agreement", "sanctions", "conflict", "crisis", "risk", "future",
        "history", "culture", "society", "city", "region", "country", "world", "global", "international", "week",
        "Monday", "Wednesday", "Friday", "morning", "evening", "said", "announced", "warned", "expects", "plans",
        "supports", "opposes", "called", "the", "a", "of", "in", "on", "for", "with", "and", "to", "after", "before",
    ]

    static let sources = ["环球通讯", "晨报", "Daily Wire Service", "城市日报", "Global Desk"]
}
