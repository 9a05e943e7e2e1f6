// zh-CN and en: message lookup and Intl formatting. The language defaults to the browser's
// and can be switched; the choice is remembered on this device.

const KEY = 'fieldcrm.lang';
export const LANGUAGES = ['zh-CN', 'en'];

/** @type {Record<string, Record<string, string>>} */
const MESSAGES = {
  en: {
    'app.name': 'FieldCRM',
    'app.skip': 'Skip to content',
    'nav.customers': 'Customers', 'nav.team': 'Team customers', 'nav.followups': 'Follow-ups',
    'nav.pipeline': 'Pipeline', 'nav.analytics': 'Analytics', 'nav.settings': 'Me',
    'nav.main': 'Main navigation',
    'login.title': 'Sign in', 'login.username': 'Username', 'login.password': 'Password',
    'login.submit': 'Sign in', 'login.offline': 'You are offline. Connect to sign in.',
    'login.again': 'Your session expired. Sign in again to sync; your unsent changes are kept.',
    'login.other_user': 'Signing in as a different user removes this device\'s data of {name}.',
    'sync.online': 'Online', 'sync.offline': 'Offline', 'sync.syncing': 'Syncing…',
    'sync.pending': '{n} unsent', 'sync.rejected': '{n} need attention',
    'sync.last': 'Synced {when}', 'sync.never': 'Not synced yet',
    'sync.now': 'Sync now', 'sync.error': 'Sync failed: {message}',
    'sync.quota': 'Device storage is full. Free up space; unsent changes are kept as long as possible.',
    'sync.downloading': 'Downloading {n} records…', 'sync.unavailable': 'Sync service not available on the server yet.',
    'sync.auth': 'Sign in again to sync.', 'sync.status': 'Sync status',
    'sync.persisted': 'Storage is persistent', 'sync.not_persisted': 'Storage may be cleared by the browser',
    'sync.pending_label': 'Unsent changes', 'sync.last_label': 'Last synced', 'sync.storage': 'Storage',
    'sync.device': 'Device', 'sync.usage': 'Storage used: {used} of {quota}',
    'common.save': 'Save', 'common.cancel': 'Cancel', 'common.edit': 'Edit', 'common.back': 'Back',
    'common.search': 'Search', 'common.all': 'All', 'common.none': '—', 'common.more': 'Show more',
    'common.loading': 'Loading…', 'common.empty': 'Nothing here yet.', 'common.close': 'Close',
    'common.discard': 'Discard', 'common.retry': 'Fix and retry', 'common.done': 'Done',
    'common.saved_offline': 'Saved on this device; it will sync when online.',
    'common.saved': 'Saved.', 'common.online_only': 'Available when online.',
    'common.count': '{n} shown of {total}', 'common.filters': 'Filters',
    'common.sample': 'Sample data: the server endpoint is not available yet.',
    'common.local': 'Computed on this device from synced data.',
    'customers.title': 'My customers', 'customers.team_title': 'Team customers',
    'customers.new': 'New customer', 'customers.search': 'Name, phone, email…',
    'customers.owner': 'Owner', 'customers.last_contact': 'Last contact',
    'customer.profile': 'Profile', 'customer.contacts': 'Contacts', 'customer.activities': 'Activities',
    'customer.deals': 'Deals', 'customer.followups': 'Follow-ups', 'customer.contracts': 'Contracts',
    'customer.tickets': 'After-sales tickets', 'customer.owners': 'Owner history', 'customer.audit': 'Audit trail',
    'customer.log_visit': 'Log visit / call', 'customer.call': 'Call', 'customer.not_found': 'Customer not found on this device.',
    'customer.unsynced': 'Changes not yet synced', 'customer.rejected': 'The server refused a change',
    'customer.conflicts': 'Overwritten values',
    'customer.conflict': '{field}: {loser_name}\'s “{loser}” was replaced by {winner_name}\'s “{winner}” ({at}).',
    'customer.keep_mine': 'Use “{value}” again',
    'customer.create_title': 'New customer', 'customer.edit_title': 'Edit customer',
    'customer.duplicates': 'Possible duplicates', 'customer.duplicate_owner': 'owned by {owner}',
    'customer.open': 'Open',
    'field.kind': 'Type', 'field.name': 'Name', 'field.phone': 'Phone', 'field.email': 'Email',
    'field.region': 'Region', 'field.address': 'Address', 'field.industry': 'Industry',
    'field.size': 'Company size', 'field.grade': 'Grade', 'field.lifecycle': 'Stage',
    'field.source': 'Source', 'field.tags': 'Tags', 'field.tags_hint': 'Separate with commas',
    'field.notes': 'Notes', 'field.title': 'Title', 'field.amount': 'Amount', 'field.stage': 'Stage',
    'field.expected_close': 'Expected close', 'field.lost_reason': 'Lost reason',
    'field.probability': 'Probability', 'field.due_at': 'Due', 'field.summary': 'Summary',
    'field.next_step': 'Next step', 'field.next_followup': 'Next follow-up date',
    'field.occurred_at': 'When', 'field.location': 'Location', 'field.use_location': 'Attach my current location',
    'field.activity_kind': 'Type', 'field.required_mark': 'required',
    'kind.company': 'Company', 'kind.person': 'Person',
    'grade.A': 'A · high value', 'grade.B': 'B · medium', 'grade.C': 'C · low',
    'lifecycle.lead': 'Lead', 'lifecycle.prospect': 'Prospect', 'lifecycle.active': 'Active',
    'lifecycle.loyal': 'Loyal', 'lifecycle.churned': 'Churned', 'lifecycle.invalid': 'Invalid',
    'activity.visit': 'Visit', 'activity.call': 'Call', 'activity.meeting': 'Meeting',
    'activity.email': 'Email', 'activity.note': 'Note',
    'visit.title': 'Log a visit or call', 'visit.saved': 'Visit logged.',
    'visit.locating': 'Getting location…', 'visit.location_failed': 'Location unavailable: {message}',
    'visit.located': 'Location: {lat}, {lon}',
    'followups.title': 'My follow-ups', 'followups.overdue': 'Overdue', 'followups.today': 'Due today',
    'followups.upcoming': 'Next 7 days', 'followups.cadence': 'Due by contact cadence',
    'followups.cadence_hint': 'Grade A every 3 days, B weekly, C monthly since the last contact.',
    'followups.mark_done': 'Mark done', 'followups.none': 'No follow-ups due. 👍',
    'followups.days_since': '{n} days since last contact',
    'stage.lead': 'Lead', 'stage.first_contact': 'First contact', 'stage.needs_confirmed': 'Needs confirmed',
    'stage.proposal': 'Proposal', 'stage.negotiation': 'Negotiation', 'stage.won': 'Won', 'stage.lost': 'Lost',
    'pipeline.title': 'Pipeline', 'pipeline.move_to': 'Move to', 'pipeline.moved': 'Moved to {stage}.',
    'pipeline.blocked': 'Cannot move to {stage} yet', 'pipeline.fill': 'Fill these fields, then move the deal.',
    'pipeline.period': 'Expected close', 'pipeline.period.all': 'Any time',
    'pipeline.period.month': 'This month', 'pipeline.period.quarter': 'This quarter',
    'pipeline.drag_hint': 'Drag a card to another stage, or focus a card and press ← / →.',
    'pipeline.rep': 'Rep', 'pipeline.region': 'Region', 'pipeline.deals': '{n} deals',
    'pipeline.move_and_save': 'Save and move',
    'pipeline.exit_field': 'Enter {field} before the deal leaves “{stage}”.',
    'analytics.title': 'Analytics', 'analytics.funnel': 'Sales funnel', 'analytics.activity': 'Rep activity',
    'analytics.quality': 'Data quality', 'analytics.conversion': 'Conversion',
    'analytics.win_rate': 'Win rate', 'analytics.avg_cycle': 'Avg. sales cycle',
    'analytics.avg_deal': 'Avg. deal size', 'analytics.forecast': 'Weighted forecast (quarter)',
    'analytics.dwell': 'Avg. days in stage', 'analytics.visits': 'Visits', 'analytics.calls': 'Calls',
    'analytics.completeness': 'Completeness', 'analytics.duplicates': 'Duplicate rate',
    'analytics.stale': 'Stale rate', 'analytics.followup_done': 'Follow-ups done', 'analytics.overdue': 'Overdue',
    'analytics.days': '{n} days', 'analytics.per_week': 'Average per week over the period (default: last 90 days)',
    'analytics.export': 'Export CSV', 'analytics.rep': 'Rep', 'analytics.customers': 'Customers',
    'settings.title': 'Me', 'settings.language': 'Language', 'settings.push': 'Push notifications',
    'settings.push_enable': 'Enable notifications on this device', 'settings.push_on': 'Notifications are on for this device.',
    'settings.push_denied': 'Notifications are blocked in the browser settings.',
    'settings.push_unsupported': 'This browser does not support push notifications.',
    'settings.push_disable': 'Turn off', 'settings.logout': 'Sign out',
    'settings.logout_pending': '{n} changes are not synced yet. Sign out anyway and lose them?',
    'settings.outbox': 'Changes the server refused', 'settings.signed_in': 'Signed in as {name} ({role})',
    'role.admin': 'admin', 'role.manager': 'manager', 'role.rep': 'sales rep',
    'ticket.open': 'Open', 'ticket.in_progress': 'In progress', 'ticket.resolved': 'Resolved', 'ticket.closed': 'Closed',
    'priority.low': 'Low', 'priority.normal': 'Normal', 'priority.high': 'High', 'priority.urgent': 'Urgent',
    'contract.draft': 'Draft', 'contract.active': 'Active', 'contract.expired': 'Expired', 'contract.terminated': 'Terminated',
    'error.required': 'This field is required.',
    'error.contact_method.required': 'Enter at least one contact method (phone or email).',
    'error.phone.invalid': 'Not a valid phone number.',
    'error.email.invalid': 'Not a valid email address.',
    'error.text.too_long': 'Too long (at most {max} characters).',
    'error.choice.invalid': 'Must be one of: {allowed}.',
    'error.region.unknown': 'Unknown region.', 'error.industry.unknown': 'Unknown industry.',
    'error.tags.too_many': 'At most {max} tags.', 'error.date.invalid': 'Not a valid date.',
    'error.number.invalid': 'Must be a number.', 'error.form': 'Please correct the highlighted fields.',
    'error.network': 'No connection.', 'error.generic': 'Something went wrong.',
    'error.deal.lost_reason.required': 'Give a reason why the deal was lost.',
  },
  'zh-CN': {
    'app.name': 'FieldCRM',
    'app.skip': '跳到主要内容',
    'nav.customers': '客户', 'nav.team': '团队客户', 'nav.followups': '跟进',
    'nav.pipeline': '销售漏斗', 'nav.analytics': '分析', 'nav.settings': '我的',
    'nav.main': '主导航',
    'login.title': '登录', 'login.username': '用户名', 'login.password': '密码',
    'login.submit': '登录', 'login.offline': '当前离线，请联网后登录。',
    'login.again': '登录已过期。请重新登录以同步；未发送的修改会保留。',
    'login.other_user': '以其他用户登录会清除本设备上 {name} 的数据。',
    'sync.online': '在线', 'sync.offline': '离线', 'sync.syncing': '同步中…',
    'sync.pending': '{n} 条待发送', 'sync.rejected': '{n} 条需处理',
    'sync.last': '{when}已同步', 'sync.never': '尚未同步',
    'sync.now': '立即同步', 'sync.error': '同步失败：{message}',
    'sync.quota': '设备存储空间已满。请清理空间；未发送的修改会尽量保留。',
    'sync.downloading': '正在下载 {n} 条记录…', 'sync.unavailable': '服务器尚未提供同步服务。',
    'sync.auth': '请重新登录以同步。', 'sync.status': '同步状态',
    'sync.persisted': '本地存储已设为持久', 'sync.not_persisted': '浏览器可能清除本地存储',
    'sync.pending_label': '待发送的修改', 'sync.last_label': '上次同步', 'sync.storage': '本地存储',
    'sync.device': '设备', 'sync.usage': '已用存储：{used} / {quota}',
    'common.save': '保存', 'common.cancel': '取消', 'common.edit': '编辑', 'common.back': '返回',
    'common.search': '搜索', 'common.all': '全部', 'common.none': '—', 'common.more': '显示更多',
    'common.loading': '加载中…', 'common.empty': '暂无内容。', 'common.close': '关闭',
    'common.discard': '放弃', 'common.retry': '修改后重试', 'common.done': '完成',
    'common.saved_offline': '已保存在本设备，联网后自动同步。',
    'common.saved': '已保存。', 'common.online_only': '联网后可查看。',
    'common.count': '显示 {n} / 共 {total}', 'common.filters': '筛选',
    'common.sample': '示例数据：服务器接口尚未提供。',
    'common.local': '根据本设备已同步的数据计算。',
    'customers.title': '我的客户', 'customers.team_title': '团队客户',
    'customers.new': '新建客户', 'customers.search': '名称、电话、邮箱…',
    'customers.owner': '负责人', 'customers.last_contact': '最近联系',
    'customer.profile': '基本信息', 'customer.contacts': '联系人', 'customer.activities': '拜访与沟通',
    'customer.deals': '商机', 'customer.followups': '待跟进', 'customer.contracts': '合同',
    'customer.tickets': '售后工单', 'customer.owners': '负责人变更', 'customer.audit': '操作记录',
    'customer.log_visit': '记录拜访/电话', 'customer.call': '拨打', 'customer.not_found': '本设备上没有该客户。',
    'customer.unsynced': '尚未同步的修改', 'customer.rejected': '服务器拒绝了一项修改',
    'customer.conflicts': '被覆盖的值',
    'customer.conflict': '{field}：{loser_name} 填写的“{loser}”被 {winner_name} 的“{winner}”覆盖（{at}）。',
    'customer.keep_mine': '重新使用“{value}”',
    'customer.create_title': '新建客户', 'customer.edit_title': '编辑客户',
    'customer.duplicates': '可能重复的客户', 'customer.duplicate_owner': '负责人：{owner}',
    'customer.open': '查看',
    'field.kind': '类型', 'field.name': '名称', 'field.phone': '电话', 'field.email': '邮箱',
    'field.region': '地区', 'field.address': '地址', 'field.industry': '行业',
    'field.size': '公司规模', 'field.grade': '等级', 'field.lifecycle': '阶段',
    'field.source': '来源', 'field.tags': '标签', 'field.tags_hint': '用逗号分隔',
    'field.notes': '备注', 'field.title': '标题', 'field.amount': '金额', 'field.stage': '阶段',
    'field.expected_close': '预计成交日期', 'field.lost_reason': '输单原因',
    'field.probability': '赢率', 'field.due_at': '到期', 'field.summary': '摘要',
    'field.next_step': '下一步', 'field.next_followup': '下次跟进日期',
    'field.occurred_at': '时间', 'field.location': '地点', 'field.use_location': '附上我的当前位置',
    'field.activity_kind': '类型', 'field.required_mark': '必填',
    'kind.company': '企业', 'kind.person': '个人',
    'grade.A': 'A · 高价值', 'grade.B': 'B · 中等', 'grade.C': 'C · 低',
    'lifecycle.lead': '线索', 'lifecycle.prospect': '潜在客户', 'lifecycle.active': '成交客户',
    'lifecycle.loyal': '忠诚客户', 'lifecycle.churned': '流失', 'lifecycle.invalid': '无效',
    'activity.visit': '拜访', 'activity.call': '电话', 'activity.meeting': '会议',
    'activity.email': '邮件', 'activity.note': '备注',
    'visit.title': '记录拜访或电话', 'visit.saved': '已记录。',
    'visit.locating': '正在获取位置…', 'visit.location_failed': '无法获取位置：{message}',
    'visit.located': '位置：{lat}, {lon}',
    'followups.title': '我的跟进', 'followups.overdue': '已逾期', 'followups.today': '今天到期',
    'followups.upcoming': '未来 7 天', 'followups.cadence': '按联系频率需跟进',
    'followups.cadence_hint': 'A 类每 3 天、B 类每周、C 类每月（自上次联系起）。',
    'followups.mark_done': '标记完成', 'followups.none': '暂无到期跟进。👍',
    'followups.days_since': '距上次联系 {n} 天',
    'stage.lead': '线索获取', 'stage.first_contact': '初步接触', 'stage.needs_confirmed': '需求确认',
    'stage.proposal': '方案展示', 'stage.negotiation': '商务谈判', 'stage.won': '合同签署', 'stage.lost': '输单',
    'pipeline.title': '销售漏斗', 'pipeline.move_to': '移至', 'pipeline.moved': '已移至“{stage}”。',
    'pipeline.blocked': '暂不能移至“{stage}”', 'pipeline.fill': '请先填写以下字段，再移动商机。',
    'pipeline.period': '预计成交', 'pipeline.period.all': '不限',
    'pipeline.period.month': '本月', 'pipeline.period.quarter': '本季度',
    'pipeline.drag_hint': '拖动卡片到其他阶段，或选中卡片后按 ← / → 键。',
    'pipeline.rep': '销售', 'pipeline.region': '地区', 'pipeline.deals': '{n} 个商机',
    'pipeline.move_and_save': '保存并移动',
    'pipeline.exit_field': '商机离开“{stage}”阶段前，请填写{field}。',
    'analytics.title': '分析', 'analytics.funnel': '销售漏斗', 'analytics.activity': '销售活动',
    'analytics.quality': '数据质量', 'analytics.conversion': '转化率',
    'analytics.win_rate': '赢单率', 'analytics.avg_cycle': '平均销售周期',
    'analytics.avg_deal': '平均客单价', 'analytics.forecast': '本季度加权预测',
    'analytics.dwell': '平均停留天数', 'analytics.visits': '拜访', 'analytics.calls': '电话',
    'analytics.completeness': '录完率', 'analytics.duplicates': '重复率',
    'analytics.stale': '沉睡率', 'analytics.followup_done': '跟进完成率', 'analytics.overdue': '逾期率',
    'analytics.days': '{n} 天', 'analytics.per_week': '统计期内每周平均（默认最近 90 天）',
    'analytics.export': '导出 CSV', 'analytics.rep': '销售', 'analytics.customers': '客户数',
    'settings.title': '我的', 'settings.language': '语言', 'settings.push': '推送通知',
    'settings.push_enable': '在本设备开启通知', 'settings.push_on': '本设备已开启通知。',
    'settings.push_denied': '浏览器设置中已禁止通知。',
    'settings.push_unsupported': '此浏览器不支持推送通知。',
    'settings.push_disable': '关闭', 'settings.logout': '退出登录',
    'settings.logout_pending': '还有 {n} 条修改未同步。仍要退出并丢弃它们吗？',
    'settings.outbox': '被服务器拒绝的修改', 'settings.signed_in': '当前用户：{name}（{role}）',
    'role.admin': '管理员', 'role.manager': '经理', 'role.rep': '销售',
    'ticket.open': '待处理', 'ticket.in_progress': '处理中', 'ticket.resolved': '已解决', 'ticket.closed': '已关闭',
    'priority.low': '低', 'priority.normal': '普通', 'priority.high': '高', 'priority.urgent': '紧急',
    'contract.draft': '草稿', 'contract.active': '生效中', 'contract.expired': '已到期', 'contract.terminated': '已终止',
    'error.required': '此项为必填项。',
    'error.contact_method.required': '请至少填写一种联系方式（电话或邮箱）。',
    'error.phone.invalid': '电话号码无效。',
    'error.email.invalid': '邮箱地址无效。',
    'error.text.too_long': '过长（最多 {max} 个字符）。',
    'error.choice.invalid': '必须是以下之一：{allowed}。',
    'error.region.unknown': '无法识别的地区。', 'error.industry.unknown': '无法识别的行业。',
    'error.tags.too_many': '最多 {max} 个标签。', 'error.date.invalid': '日期无效。',
    'error.number.invalid': '必须是数字。', 'error.form': '请修改标出的字段。',
    'error.network': '无网络连接。', 'error.generic': '出错了。',
    'error.deal.lost_reason.required': '输单时请填写输单原因。',
  },
};

/** @returns {'zh-CN'|'en'} */
function detect() {
  const saved = localStorage.getItem(KEY);
  if (saved && LANGUAGES.includes(saved)) return /** @type {any} */ (saved);
  for (const tag of navigator.languages || [navigator.language]) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

let current = detect();
const listeners = new Set();

export const lang = () => current;

/** @param {'zh-CN'|'en'} next */
export function setLang(next) {
  if (!LANGUAGES.includes(next)) return;
  current = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  listeners.forEach((fn) => fn(next));
}
export const onLangChange = (fn) => listeners.add(fn);

/** Message for `key` with {placeholders}; unknown keys fall back to English, then the key. */
export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params[name] ?? m));
}

/** True when a message exists (used for server codes). */
export const has = (key) => key in MESSAGES.en;

/** A field error in the current language: the server's code when we know it, else its text. */
export function errorText(code, params = {}, serverMessage = '') {
  const key = `error.${code}`;
  return has(key) ? t(key, params) : serverMessage || code;
}

const cache = new Map();
function fmt(kind, options) {
  const key = `${current}|${kind}|${JSON.stringify(options)}`;
  if (!cache.has(key)) {
    cache.set(key, kind === 'date' ? new Intl.DateTimeFormat(current, options)
      : kind === 'rel' ? new Intl.RelativeTimeFormat(current, options)
        : new Intl.NumberFormat(current, options));
  }
  return cache.get(key);
}

/** @param {string|number|Date|null|undefined} value */
function toDate(value) {
  if (value == null || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export const fmtDate = (value) => {
  const date = toDate(value);
  return date ? fmt('date', { dateStyle: 'medium' }).format(date) : '';
};
export const fmtDateTime = (value) => {
  const date = toDate(value);
  return date ? fmt('date', { dateStyle: 'medium', timeStyle: 'short' }).format(date) : '';
};
export const fmtNumber = (value, options = {}) =>
  value == null || Number.isNaN(Number(value)) ? '' : fmt('num', options).format(Number(value));
export const fmtMoney = (value, currency = 'CNY') =>
  fmtNumber(value, { style: 'currency', currency: currency || 'CNY', maximumFractionDigits: 0 });
/** Short money for tight spaces: "¥170万" / "CN¥1.7M". */
export const fmtMoneyShort = (value, currency = 'CNY') =>
  fmtNumber(value, { style: 'currency', currency: currency || 'CNY', notation: 'compact', maximumFractionDigits: 1 });
export const fmtPercent = (ratio) =>
  ratio == null ? '—' : fmtNumber(ratio, { style: 'percent', maximumFractionDigits: 1 });
export const fmtBytes = (bytes) =>
  fmtNumber(bytes / 1048576, { maximumFractionDigits: 1 }) + ' MB';

/** "3 minutes ago", "in 2 days" … */
export function fmtRelative(value, now = Date.now()) {
  const date = toDate(value);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  const rel = fmt('rel', { numeric: 'auto' });
  if (abs < 45) return rel.format(0, 'second');
  if (abs < 3600) return rel.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rel.format(Math.round(seconds / 3600), 'hour');
  return rel.format(Math.round(seconds / 86400), 'day');
}
