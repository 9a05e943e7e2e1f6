"""The region table: China's 34 provincial-level divisions and its major cities.

Kept apart from the lookup logic (regions.py) so it reads as data. Rows list only what a person
would type; regions.py derives the suffix variants (广东/广东省, Guangdong/Guangdong Province …),
the ISO codes as aliases and the traditional-character spellings.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

ProvinceKind = Literal["municipality", "province", "autonomous", "sar"]


class ProvinceRow(NamedTuple):
    code: str  # ISO 3166-2:CN
    zh: str  # official full name, shown in zh-CN
    short: str  # the name people use
    en: str  # shown in en
    kind: ProvinceKind
    abbr: str = ""  # one-character abbreviations (简称), each an alias
    aliases: tuple[str, ...] = ()  # other spellings: old romanizations, official long forms


class CityRow(NamedTuple):
    code: str  # "<province code>-<letters>", letters unique within the province
    zh: str  # official name; the short name is this without the trailing 市
    en: str
    aliases: tuple[str, ...] = ()


# In the order of GB/T 2260 (the order Chinese pickers use), then Taiwan, Hong Kong, Macao.
PROVINCES: tuple[ProvinceRow, ...] = (
    ProvinceRow("CN-BJ", "北京市", "北京", "Beijing", "municipality", "京", ("Peking",)),
    ProvinceRow("CN-TJ", "天津市", "天津", "Tianjin", "municipality", "津", ("Tientsin",)),
    ProvinceRow("CN-HE", "河北省", "河北", "Hebei", "province", "冀"),
    ProvinceRow("CN-SX", "山西省", "山西", "Shanxi", "province", "晋"),
    ProvinceRow("CN-NM", "内蒙古自治区", "内蒙古", "Inner Mongolia", "autonomous", "蒙",
                ("内蒙", "Nei Mongol", "Neimenggu", "Nei Menggu")),
    ProvinceRow("CN-LN", "辽宁省", "辽宁", "Liaoning", "province", "辽"),
    ProvinceRow("CN-JL", "吉林省", "吉林", "Jilin", "province", "吉"),
    ProvinceRow("CN-HL", "黑龙江省", "黑龙江", "Heilongjiang", "province", "黑"),
    ProvinceRow("CN-SH", "上海市", "上海", "Shanghai", "municipality", "沪申"),
    ProvinceRow("CN-JS", "江苏省", "江苏", "Jiangsu", "province", "苏"),
    ProvinceRow("CN-ZJ", "浙江省", "浙江", "Zhejiang", "province", "浙"),
    ProvinceRow("CN-AH", "安徽省", "安徽", "Anhui", "province", "皖"),
    ProvinceRow("CN-FJ", "福建省", "福建", "Fujian", "province", "闽", ("Fukien",)),
    ProvinceRow("CN-JX", "江西省", "江西", "Jiangxi", "province", "赣"),
    ProvinceRow("CN-SD", "山东省", "山东", "Shandong", "province", "鲁"),
    ProvinceRow("CN-HA", "河南省", "河南", "Henan", "province", "豫"),
    ProvinceRow("CN-HB", "湖北省", "湖北", "Hubei", "province", "鄂"),
    ProvinceRow("CN-HN", "湖南省", "湖南", "Hunan", "province", "湘"),
    ProvinceRow("CN-GD", "广东省", "广东", "Guangdong", "province", "粤", ("Kwangtung",)),
    ProvinceRow("CN-GX", "广西壮族自治区", "广西", "Guangxi", "autonomous", "桂",
                ("广西壮族", "Guangxi Zhuang Autonomous Region", "Kwangsi")),
    ProvinceRow("CN-HI", "海南省", "海南", "Hainan", "province", "琼"),
    ProvinceRow("CN-CQ", "重庆市", "重庆", "Chongqing", "municipality", "渝", ("Chungking",)),
    ProvinceRow("CN-SC", "四川省", "四川", "Sichuan", "province", "川蜀", ("Szechuan", "Szechwan")),
    ProvinceRow("CN-GZ", "贵州省", "贵州", "Guizhou", "province", "黔贵", ("Kweichow",)),
    ProvinceRow("CN-YN", "云南省", "云南", "Yunnan", "province", "云滇"),
    ProvinceRow("CN-XZ", "西藏自治区", "西藏", "Tibet", "autonomous", "藏", ("Xizang",)),
    ProvinceRow("CN-SN", "陕西省", "陕西", "Shaanxi", "province", "陕秦"),
    ProvinceRow("CN-GS", "甘肃省", "甘肃", "Gansu", "province", "甘陇"),
    ProvinceRow("CN-QH", "青海省", "青海", "Qinghai", "province", "青"),
    ProvinceRow("CN-NX", "宁夏回族自治区", "宁夏", "Ningxia", "autonomous", "宁",
                ("宁夏回族", "Ningxia Hui Autonomous Region")),
    ProvinceRow("CN-XJ", "新疆维吾尔自治区", "新疆", "Xinjiang", "autonomous", "新",
                ("新疆维吾尔", "Xinjiang Uygur Autonomous Region",
                 "Xinjiang Uyghur Autonomous Region")),
    ProvinceRow("CN-TW", "台湾省", "台湾", "Taiwan", "province", "台", ("台湾地区",)),
    ProvinceRow("CN-HK", "香港特别行政区", "香港", "Hong Kong", "sar", "港",
                ("香港特区", "Hongkong", "HKSAR", "Hong Kong SAR")),
    ProvinceRow("CN-MO", "澳门特别行政区", "澳门", "Macao", "sar", "澳",
                ("澳门特区", "Macau", "MSAR", "Macao SAR", "Macau SAR")),
)  # fmt: skip

# Every provincial capital, every sub-provincial city (副省级城市: 哈尔滨 长春 沈阳 大连 济南
# 青岛 南京 杭州 宁波 厦门 武汉 广州 深圳 成都 西安) and the larger prefecture-level cities,
# plus two county-level cities that are trade hubs in their own right (义乌, 昆山).
CITIES: tuple[CityRow, ...] = (
    # 河北
    CityRow("CN-HE-SJZ", "石家庄市", "Shijiazhuang"),
    CityRow("CN-HE-TS", "唐山市", "Tangshan"),
    CityRow("CN-HE-BD", "保定市", "Baoding"),
    CityRow("CN-HE-HD", "邯郸市", "Handan"),
    CityRow("CN-HE-LF", "廊坊市", "Langfang"),
    CityRow("CN-HE-CZ", "沧州市", "Cangzhou"),
    CityRow("CN-HE-QHD", "秦皇岛市", "Qinhuangdao"),
    CityRow("CN-HE-ZJK", "张家口市", "Zhangjiakou"),
    CityRow("CN-HE-XT", "邢台市", "Xingtai"),
    CityRow("CN-HE-HS", "衡水市", "Hengshui"),
    CityRow("CN-HE-CD", "承德市", "Chengde"),
    # 山西
    CityRow("CN-SX-TY", "太原市", "Taiyuan"),
    CityRow("CN-SX-DT", "大同市", "Datong"),
    CityRow("CN-SX-CZ", "长治市", "Changzhi"),
    CityRow("CN-SX-YC", "运城市", "Yuncheng"),
    CityRow("CN-SX-JZ", "晋中市", "Jinzhong"),
    # 内蒙古
    CityRow("CN-NM-HHT", "呼和浩特市", "Hohhot", ("Huhehaote", "Huhhot")),
    CityRow("CN-NM-BT", "包头市", "Baotou"),
    CityRow("CN-NM-ORD", "鄂尔多斯市", "Ordos", ("Eerduosi",)),
    CityRow("CN-NM-CF", "赤峰市", "Chifeng"),
    # 辽宁
    CityRow("CN-LN-SY", "沈阳市", "Shenyang", ("Mukden",)),
    CityRow("CN-LN-DL", "大连市", "Dalian", ("Dairen",)),
    CityRow("CN-LN-AS", "鞍山市", "Anshan"),
    CityRow("CN-LN-FS", "抚顺市", "Fushun"),
    CityRow("CN-LN-JZ", "锦州市", "Jinzhou"),
    CityRow("CN-LN-YK", "营口市", "Yingkou"),
    # 吉林 — the city 吉林市 shares its short name with the province; "吉林" means the province.
    CityRow("CN-JL-CC", "长春市", "Changchun"),
    CityRow("CN-JL-JL", "吉林市", "Jilin City", ("Jilin Shi",)),
    # 黑龙江
    CityRow("CN-HL-HRB", "哈尔滨市", "Harbin", ("Haerbin",)),
    CityRow("CN-HL-DQ", "大庆市", "Daqing"),
    CityRow("CN-HL-QQH", "齐齐哈尔市", "Qiqihar", ("Qiqihaer",)),
    CityRow("CN-HL-MDJ", "牡丹江市", "Mudanjiang"),
    # 江苏
    CityRow("CN-JS-NJ", "南京市", "Nanjing", ("Nanking",)),
    CityRow("CN-JS-SZ", "苏州市", "Suzhou", ("Soochow",)),
    CityRow("CN-JS-WX", "无锡市", "Wuxi"),
    CityRow("CN-JS-CZ", "常州市", "Changzhou"),
    CityRow("CN-JS-NT", "南通市", "Nantong"),
    CityRow("CN-JS-XZ", "徐州市", "Xuzhou"),
    CityRow("CN-JS-YZ", "扬州市", "Yangzhou"),
    CityRow("CN-JS-ZJ", "镇江市", "Zhenjiang"),
    CityRow("CN-JS-YC", "盐城市", "Yancheng"),
    CityRow("CN-JS-TZ", "泰州市", "Taizhou"),
    CityRow("CN-JS-HA", "淮安市", "Huai'an"),
    CityRow("CN-JS-LYG", "连云港市", "Lianyungang"),
    CityRow("CN-JS-SQ", "宿迁市", "Suqian"),
    CityRow("CN-JS-KS", "昆山市", "Kunshan"),  # county-level, under 苏州
    # 浙江
    CityRow("CN-ZJ-HZ", "杭州市", "Hangzhou"),
    CityRow("CN-ZJ-NB", "宁波市", "Ningbo"),
    CityRow("CN-ZJ-WZ", "温州市", "Wenzhou"),
    CityRow("CN-ZJ-JX", "嘉兴市", "Jiaxing"),
    CityRow("CN-ZJ-HUZ", "湖州市", "Huzhou"),
    CityRow("CN-ZJ-SX", "绍兴市", "Shaoxing"),
    CityRow("CN-ZJ-JH", "金华市", "Jinhua"),
    CityRow("CN-ZJ-TZ", "台州市", "Taizhou"),
    CityRow("CN-ZJ-ZS", "舟山市", "Zhoushan"),
    CityRow("CN-ZJ-QZ", "衢州市", "Quzhou"),
    CityRow("CN-ZJ-LS", "丽水市", "Lishui"),
    CityRow("CN-ZJ-YW", "义乌市", "Yiwu"),  # county-level, under 金华
    # 安徽
    CityRow("CN-AH-HF", "合肥市", "Hefei"),
    CityRow("CN-AH-WH", "芜湖市", "Wuhu"),
    CityRow("CN-AH-BB", "蚌埠市", "Bengbu"),
    CityRow("CN-AH-AQ", "安庆市", "Anqing"),
    CityRow("CN-AH-MAS", "马鞍山市", "Ma'anshan"),
    # 福建
    CityRow("CN-FJ-FZ", "福州市", "Fuzhou", ("Foochow",)),
    CityRow("CN-FJ-XM", "厦门市", "Xiamen", ("Amoy",)),
    CityRow("CN-FJ-QZ", "泉州市", "Quanzhou"),
    CityRow("CN-FJ-ZZ", "漳州市", "Zhangzhou"),
    CityRow("CN-FJ-PT", "莆田市", "Putian"),
    CityRow("CN-FJ-LY", "龙岩市", "Longyan"),
    # 江西
    CityRow("CN-JX-NC", "南昌市", "Nanchang"),
    CityRow("CN-JX-GZ", "赣州市", "Ganzhou"),
    CityRow("CN-JX-JJ", "九江市", "Jiujiang"),
    CityRow("CN-JX-SR", "上饶市", "Shangrao"),
    # 山东
    CityRow("CN-SD-JN", "济南市", "Jinan", ("Tsinan",)),
    CityRow("CN-SD-QD", "青岛市", "Qingdao", ("Tsingtao",)),
    CityRow("CN-SD-YT", "烟台市", "Yantai"),
    CityRow("CN-SD-WF", "潍坊市", "Weifang"),
    CityRow("CN-SD-LY", "临沂市", "Linyi"),
    CityRow("CN-SD-ZB", "淄博市", "Zibo"),
    CityRow("CN-SD-JNI", "济宁市", "Jining"),
    CityRow("CN-SD-WH", "威海市", "Weihai"),
    CityRow("CN-SD-TA", "泰安市", "Tai'an"),
    CityRow("CN-SD-DZ", "德州市", "Dezhou"),
    CityRow("CN-SD-LC", "聊城市", "Liaocheng"),
    CityRow("CN-SD-HZ", "菏泽市", "Heze"),
    CityRow("CN-SD-RZ", "日照市", "Rizhao"),
    CityRow("CN-SD-DY", "东营市", "Dongying"),
    CityRow("CN-SD-BZ", "滨州市", "Binzhou"),
    CityRow("CN-SD-ZZ", "枣庄市", "Zaozhuang"),
    # 河南
    CityRow("CN-HA-ZZ", "郑州市", "Zhengzhou"),
    CityRow("CN-HA-LY", "洛阳市", "Luoyang"),
    CityRow("CN-HA-NY", "南阳市", "Nanyang"),
    CityRow("CN-HA-XX", "新乡市", "Xinxiang"),
    CityRow("CN-HA-KF", "开封市", "Kaifeng"),
    CityRow("CN-HA-XC", "许昌市", "Xuchang"),
    # 湖北
    CityRow("CN-HB-WH", "武汉市", "Wuhan"),
    CityRow("CN-HB-YC", "宜昌市", "Yichang"),
    CityRow("CN-HB-XY", "襄阳市", "Xiangyang"),
    CityRow("CN-HB-JZ", "荆州市", "Jingzhou"),
    CityRow("CN-HB-SY", "十堰市", "Shiyan"),
    # 湖南
    CityRow("CN-HN-CS", "长沙市", "Changsha"),
    CityRow("CN-HN-ZZ", "株洲市", "Zhuzhou"),
    CityRow("CN-HN-XT", "湘潭市", "Xiangtan"),
    CityRow("CN-HN-HY", "衡阳市", "Hengyang"),
    CityRow("CN-HN-YY", "岳阳市", "Yueyang"),
    CityRow("CN-HN-CD", "常德市", "Changde"),
    # 广东
    CityRow("CN-GD-GZ", "广州市", "Guangzhou", ("Canton",)),
    CityRow("CN-GD-SZ", "深圳市", "Shenzhen"),
    CityRow("CN-GD-FS", "佛山市", "Foshan"),
    CityRow("CN-GD-DG", "东莞市", "Dongguan"),
    CityRow("CN-GD-ZH", "珠海市", "Zhuhai"),
    CityRow("CN-GD-ZS", "中山市", "Zhongshan"),
    CityRow("CN-GD-HZ", "惠州市", "Huizhou"),
    CityRow("CN-GD-JM", "江门市", "Jiangmen"),
    CityRow("CN-GD-ST", "汕头市", "Shantou", ("Swatow",)),
    CityRow("CN-GD-ZJ", "湛江市", "Zhanjiang"),
    CityRow("CN-GD-ZQ", "肇庆市", "Zhaoqing"),
    CityRow("CN-GD-MM", "茂名市", "Maoming"),
    CityRow("CN-GD-JY", "揭阳市", "Jieyang"),
    CityRow("CN-GD-QY", "清远市", "Qingyuan"),
    CityRow("CN-GD-SG", "韶关市", "Shaoguan"),
    CityRow("CN-GD-CZ", "潮州市", "Chaozhou"),
    # 广西
    CityRow("CN-GX-NN", "南宁市", "Nanning"),
    CityRow("CN-GX-LZ", "柳州市", "Liuzhou"),
    CityRow("CN-GX-GL", "桂林市", "Guilin"),
    CityRow("CN-GX-BH", "北海市", "Beihai"),
    # 海南
    CityRow("CN-HI-HK", "海口市", "Haikou"),
    CityRow("CN-HI-SY", "三亚市", "Sanya"),
    # 四川
    CityRow("CN-SC-CD", "成都市", "Chengdu"),
    CityRow("CN-SC-MY", "绵阳市", "Mianyang"),
    CityRow("CN-SC-YB", "宜宾市", "Yibin"),
    CityRow("CN-SC-DY", "德阳市", "Deyang"),
    CityRow("CN-SC-NC", "南充市", "Nanchong"),
    CityRow("CN-SC-LZ", "泸州市", "Luzhou"),
    # 贵州
    CityRow("CN-GZ-GY", "贵阳市", "Guiyang"),
    CityRow("CN-GZ-ZY", "遵义市", "Zunyi"),
    # 云南
    CityRow("CN-YN-KM", "昆明市", "Kunming"),
    CityRow("CN-YN-QJ", "曲靖市", "Qujing"),
    # 西藏
    CityRow("CN-XZ-LS", "拉萨市", "Lhasa", ("Lasa",)),
    # 陕西
    CityRow("CN-SN-XA", "西安市", "Xi'an", ("Sian",)),
    CityRow("CN-SN-BJ", "宝鸡市", "Baoji"),
    CityRow("CN-SN-XY", "咸阳市", "Xianyang"),
    CityRow("CN-SN-YL", "榆林市", "Yulin"),
    # 甘肃
    CityRow("CN-GS-LZ", "兰州市", "Lanzhou"),
    CityRow("CN-GS-TS", "天水市", "Tianshui"),
    # 青海
    CityRow("CN-QH-XN", "西宁市", "Xining"),
    # 宁夏
    CityRow("CN-NX-YC", "银川市", "Yinchuan"),
    # 新疆
    CityRow("CN-XJ-URC", "乌鲁木齐市", "Urumqi", ("Ürümqi", "Wulumuqi")),
    CityRow("CN-XJ-KLM", "克拉玛依市", "Karamay", ("Kelamayi",)),
    # 台湾
    CityRow("CN-TW-TPE", "台北市", "Taipei", ("Taibei",)),
    CityRow("CN-TW-NTP", "新北市", "New Taipei", ("Xinbei",)),
    CityRow("CN-TW-TXG", "台中市", "Taichung", ("Taizhong",)),
    CityRow("CN-TW-TNN", "台南市", "Tainan"),
    CityRow("CN-TW-KHH", "高雄市", "Kaohsiung", ("Gaoxiong",)),
    CityRow("CN-TW-TYN", "桃园市", "Taoyuan"),
)

# Two-letter province codes that everyday usage makes ambiguous, so they are not accepted bare
# (the full "CN-XX" form always is): HN 湖南/河南/海南, HB 湖北/河北, SX 山西/陕西,
# GZ 贵州/广州. Likewise city letters ("SZ" = 深圳 or 苏州) are never aliases on their own.
AMBIGUOUS_PROVINCE_LETTERS: frozenset[str] = frozenset({"HN", "HB", "SX", "GZ"})

# Names of China itself: ignored around a region ("中国广东省深圳市", "Shenzhen, China").
CHINA_NAMES: tuple[str, ...] = (
    "中国", "中华人民共和国", "中国大陆", "China", "PRC", "P.R.C.", "P.R. China",
    "People's Republic of China", "Mainland China",
)  # fmt: skip
