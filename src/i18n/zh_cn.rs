//! The Simplified Chinese catalogue.

use super::Catalogue;

pub const CATALOGUE: Catalogue = Catalogue {
    language_name: "简体中文",
    language_switcher_label: "语言",
    app_name: "Madblog",
    nav_home: "首页",
    nav_login: "登录",
    nav_register: "注册",
    nav_account: "账户",
    nav_logout: "退出登录",
    error_validation: "请修正标出的字段。",
    error_unauthorized: "请重新登录。",
    error_not_found: "未找到。",
    error_payload_too_large: "请求内容过大。",
    error_busy: "服务器繁忙，请稍后再试。",
    error_internal: "我们这边出了点问题，请重试。",
    error_offline: "你似乎已离线，或无法连接到服务器。请重试。",
    retry_in_seconds: "请在 {seconds} 秒后重试。",
    noscript: "此页面需要 JavaScript。请启用后重新加载。",
};
