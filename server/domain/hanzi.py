"""Traditional → simplified Chinese for matching (not for display).

Names and places typed in Hong Kong, Macao, Taiwan or by overseas customers arrive in
traditional characters: 張偉 must match 张伟, 廣東省 must match 广东省. This is a
character-by-character map of the common characters in surnames, given names, place names
and company names — not a full converter (no phrase rules, no one-to-many cases). Characters
whose simplified form depends on context, or that are distinct surnames in their own right
(於 vs 于, 乾 vs 干, 著 vs 着), are deliberately left alone.
"""

from __future__ import annotations

import unicodedata

# Pairs "traditional simplified", grouped loosely by where they turn up.
_PAIRS = """
張张 陳陈 劉刘 楊杨 黃黄 趙赵 吳吴 孫孙 馬马 羅罗 鄭郑 謝谢 許许 韓韩 馮冯 鄧邓 蕭萧
蔣蒋 葉叶 蘇苏 呂吕 盧卢 鍾钟 譚谭 陸陆 賈贾 韋韦 鄒邹 閻阎 龍龙 賀贺 顧顾 龔龚 萬万
錢钱 嚴严 湯汤 溫温 齊齐 喬乔 龐庞 顏颜 莊庄 聶聂 魯鲁 歐欧 關关 蘭兰 寧宁 紀纪 畢毕
單单 塗涂 駱骆 藍蓝 鮑鲍 華华 饒饶 陽阳 時时 農农 繆缪 簡简 車车 項项 連连 蘆芦 麥麦
婁娄 竇窦 黨党 宮宫 費费 衛卫 應应 閔闵 鄔邬 邊边 師师 欒栾 榮荣 叢丛 鞏巩 遲迟 鄺邝
談谈 荊荆 樂乐 儲储 勞劳 諶谌 藺蔺 樓楼 盤盘 滿满 聞闻 厲厉 區区 闞阚 權权 強强 帥帅
蓋盖 練练 豐丰 國国 計计 晉晋 門门 雲云 來来 闕阙 烏乌 況况 鮮鲜 諸诸 戰战 銀银 賓宾
陰阴 堯尧 閉闭 範范 巖岩 嶽岳 瀋沈 崑昆 鄴邺 龎庞

偉伟 軍军 傑杰 濤涛 鵬鹏 輝辉 紅红 麗丽 艷艳 豔艳 靜静 鳳凤 潔洁 穎颖 嬌娇 瑩莹 東东
劍剑 剛刚 鋒锋 飛飞 軒轩 澤泽 興兴 發发 貴贵 壽寿 祿禄 財财 寶宝 錦锦 繡绣 詩诗 夢梦
嬋婵 鳴鸣 聲声 聰聪 慶庆 歡欢 億亿 義义 禮礼 誠诚 賢贤 煒炜 燁烨 瑋玮 璽玺 駿骏 騰腾
驥骥 騏骐 鶴鹤 鸞鸾 銘铭 鈞钧 鋼钢 鐵铁 鍵键 錚铮 鏡镜 鐘钟 錫锡 釗钊 鈺钰 銳锐 韜韬
順顺 頌颂 領领 頤颐 願愿 顯显 風风 颯飒 飄飘 憲宪 懷怀 戀恋 愛爱 憶忆 揚扬 撫抚 擇择
曉晓 暢畅 曄晔 書书 棟栋 樺桦 標标 樹树 橋桥 歲岁 漢汉 瀟潇 瀾澜 潤润 濱滨 淵渊 灝灏
煥焕 燦灿 爍烁 爾尔 玨珏 瑤瑶 瑪玛 環环 璉琏 瓊琼 禎祯 禪禅 積积 競竞 筆笔 節节 簫箫
純纯 紗纱 紹绍 絲丝 綠绿 維维 綺绮 綿绵 緒绪 緣缘 緯纬 繼继 纓缨 習习 翹翘 聖圣 聯联
肅肃 藝艺 蓮莲 萊莱 貞贞 賜赐 賞赏 賦赋 贏赢 贊赞 躍跃 輕轻 輔辅 邁迈 鈴铃 銅铜 鎮镇
雙双 靈灵 鴻鸿 鷹鹰 亞亚 凱凯 勁劲 勝胜 勳勋 勵励 圓圆 團团 園园 壯壮 奮奋
奧奥 學学 實实 寬宽 尋寻 導导 嶺岭 幫帮 廣广 彥彦 徵征 恆恒 憑凭 暉晖 楓枫 業业
滬沪 漁渔 璣玑 禦御 綸纶 婭娅 嫻娴 嬪嫔 琺珐 蕓芸 薈荟 藹蔼 蘊蕴 鶯莺 鸝鹂

遼辽 濟济 陝陕 臺台 灣湾 廈厦 長长 無无 鹽盐 薩萨 鄲郸 滄沧 島岛 煙烟
濰潍 臨临 頭头 雞鸡 營营 蕪芜 棗枣 鄉乡 開开 遠远 瀘泸 遷迁 內内 粵粤 閩闽 贛赣
隴陇 滙汇 匯汇 頓顿 峽峡 齒齿 壩坝 縣县 憂忧

們们 個个 箇个 這这 說说 話话 語语 讀读 寫写 聽听 見见 視视 覺觉 觀观 親亲 記记 設设
訂订 認认 識识 證证 議议 譯译 護护 變变 讓让 論论 調调 請请 謹谨 講讲 課课 試试
貨货 貿贸 買买 賣卖 資资 質质 貸贷 貢贡 責责 賬账 帳帐 賽赛 贈赠 購购 運运 過过
達达 進进 選选 遺遗 還还 適适 郵邮 醫医 藥药 電电 際际 隊队 階阶 險险 隱隐 雜杂
離离 難难 頁页 題题 額额 類类 飯饭 飲饮 館馆 驗验 體体 點点 齡龄 龜龟 價价 儀仪
優优 兒儿 兩两 務务 動动 勢势 協协 員员 問问 廠厂 廳厅 當当 彈弹 後后 從从 復复 複复
徑径 惡恶 態态 戶户 擔担 擴扩 攝摄 數数 斷断 會会 條条 極极 構构 樣样 機机 檢检 櫃柜
歸归 氣气 沖冲 衝冲 決决 淺浅 測测 湧涌 滅灭 潛潜 濕湿 災灾 熱热 燈灯 爭争 狀状 獎奖
獨独 產产 畫画 畝亩 異异 療疗 盡尽 監监 礦矿 礎础 禍祸 種种 稅税 稱称 穩稳 穀谷 窮穷
築筑 籌筹 糧粮 級级 紙纸 細细 組组 終终 結结 絕绝 給给 統统 經经 網网 綱纲 編编 總总
績绩 織织 續续 罰罚 膠胶 舉举 舊旧 艦舰 蘋苹 處处 號号 蟲虫 術术 補补 裝装 製制
裡里 裏里 規规 託托 訊讯 詢询 該该 誤误 貝贝 賴赖 趕赶 軟软 載载 轉转 辦办 輪轮 輸输
辭辞 遞递 邏逻 鄰邻 釋释 錄录 鍋锅 鎖锁 鏈链 閃闪 閱阅 間间 閣阁 闊阔 陣阵 隨随 雖虽
響响 須须 頻频 餘余 驅驱 鬧闹 麵面 髮发 鬥斗 魚鱼 鳥鸟 鹹咸 黴霉 穫获 獲获
並并 併并 傳传 僅仅 備备 傷伤 劃划 劇剧 參参 噸吨 嘗尝 報报 場场 塊块 壓压
壞坏 夥伙 奪夺 妝妆 婦妇 媽妈 專专 將将 對对 屆届 層层 屬属 嶼屿 帶带 幣币 幹干
庫库 廟庙 彎弯 徹彻 懸悬 戲戏 掃扫 換换 據据 擊击 擬拟 攜携 敗败 敵敌 晝昼 暫暂 曆历
歷历 殼壳 灑洒 爐炉 牆墙 獻献 瑣琐 瘋疯 盜盗 眾众 碼码 確确 窩窝 筍笋
簽签 籃篮 紛纷 紋纹 納纳 紡纺 繫系 係系 膚肤 腦脑 臉脸 與与 莖茎
薦荐 蝦虾 蠶蚕 襯衬 覓觅 訓训 評评 詞词 詳详 誌志 謎谜 豬猪 貓猫 賠赔 躉趸 軌轨 軸轴
別别 岡冈 鑼锣 絡络 諮咨 銷销 傢家 倉仓 審审 鋁铝 創创 線线 鑽钻 衆众 啟启 堅坚 謀谋
詠咏 現现 紳绅 貫贯 灘滩 舖铺 艱艰 濃浓 漿浆 鐸铎 韻韵 預预 饋馈 麼么 勸劝 雋隽 瀅滢
禕祎 詡诩 綜综 綏绥 緹缇 繽缤 嫺娴 銓铨 鍇锴 鎧铠 頎颀 顥颢 驊骅 鵑鹃
輛辆 遊游 釀酿 鈔钞 鋪铺 鑄铸 闆板 隸隶 霧雾 頸颈 颱台 檯台 馳驰 騎骑 驚惊 鬆松 鹼碱
為为 養养 約约 準准 則则 圖图 燒烧 餅饼 廚厨 鴨鸭 鋅锌 鎳镍 綢绸 緞缎 襪袜 錶表 職职
獵猎 娛娱 僑侨 譽誉 爛烂 櫻樱 淨净 擁拥 駕驾 駛驶 艙舱 倫伦 峯峰 崗岗 瓏珑 縉缙 驍骁
嘯啸 奐奂 愷恺 楨桢 樑梁 縈萦 贇赟 閏闰
"""


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for pair in _PAIRS.split():
        traditional, simplified = pair
        table[ord(traditional)] = simplified
    return table


TRADITIONAL_TO_SIMPLIFIED: dict[int, str] = _build_table()


def to_simplified(text: str) -> str:
    """Replace the traditional characters we know by their simplified form; others pass through."""
    return text.translate(TRADITIONAL_TO_SIMPLIFIED)


def is_han(ch: str) -> bool:
    """A CJK ideograph (basic block, extension A, compatibility forms, extensions B and later)."""
    in_block = (
        "\u3400" <= ch <= "\u9fff"
        or "\uf900" <= ch <= "\ufaff"
        or "\U00020000" <= ch <= "\U0003ffff"
    )
    return in_block and unicodedata.category(ch) == "Lo"


def has_han(text: str) -> bool:
    return any(is_han(ch) for ch in text)
