-- The jinhong approval system (因公出国（境）审批系统): pinyin-initial column names.
CREATE TABLE sqsp (            -- 申请审批
    SQBH    TEXT PRIMARY KEY,  -- 申请编号
    XM      TEXT NOT NULL,     -- 姓名
    SFZH    TEXT NOT NULL,     -- 身份证号
    XB      TEXT,              -- 性别 GB/T 2261.1
    DWTYDM  TEXT,              -- 单位统一社会信用代码
    QWGJ    TEXT,              -- 前往国家 GB/T 2659 numeric, ','-separated
    CJRQ    TEXT,              -- 出境日期 yyyyMMdd
    HGRQ    TEXT,              -- 回国日期 yyyyMMdd
    CFSY    TEXT,              -- 出访事由
    SPZT    TEXT,              -- 审批状态
    SPSJ    TEXT,              -- 审批时间 yyyyMMddHHmmss
    GXSJ    TEXT NOT NULL      -- 更新时间 yyyyMMddHHmmss
);
CREATE INDEX sqsp_spsj ON sqsp(SPSJ);

CREATE TABLE hzzt (            -- 护照状态
    SQBH    TEXT PRIMARY KEY,
    ZT      TEXT NOT NULL,
    HZHM    TEXT,              -- 护照号码
    GXSJ    TEXT NOT NULL
);
CREATE INDEX hzzt_gxsj ON hzzt(GXSJ);

CREATE TABLE ry (              -- 人员信息
    RYBH    TEXT PRIMARY KEY,  -- 人员编号
    XM      TEXT NOT NULL,
    SFZH    TEXT NOT NULL,
    XB      TEXT,
    DWTYDM  TEXT,
    ZW      TEXT,              -- 职务
    GXSJ    TEXT NOT NULL
);
CREATE INDEX ry_gxsj ON ry(GXSJ);
CREATE INDEX ry_sfzh ON ry(SFZH);
CREATE INDEX sqsp_sfzh ON sqsp(SFZH);

CREATE TABLE apec_sq (         -- APEC商务旅行卡申请
    SQBH    TEXT PRIMARY KEY,
    RYBH    TEXT NOT NULL,     -- 人员编号
    JJT     TEXT,              -- 前往经济体 GB/T 2659 numeric, ','-separated
    SQSY    TEXT,              -- 申请事由
    SPZT    TEXT,
    SPSJ    TEXT,              -- 审批时间 yyyyMMddHHmmss
    GXSJ    TEXT NOT NULL
);
CREATE INDEX apec_sq_spsj ON apec_sq(SPSJ);
CREATE INDEX apec_sq_gxsj ON apec_sq(GXSJ);

CREATE TABLE yqh (             -- 邀请外国人来华
    YQBH    TEXT PRIMARY KEY,
    ZCRBH   TEXT NOT NULL,     -- 接待人人员编号
    YQDW    TEXT,              -- 邀请单位统一社会信用代码
    WFXM    TEXT NOT NULL,     -- 外方姓名
    GJ      TEXT,              -- 国籍 GB/T 2659 numeric
    HZHM    TEXT,              -- 护照号码
    RJRQ    TEXT,              -- 入境日期 yyyyMMdd
    LJRQ    TEXT,              -- 离境日期 yyyyMMdd
    LHSY    TEXT,              -- 来华事由
    SPZT    TEXT,
    SPSJ    TEXT,
    GXSJ    TEXT NOT NULL
);
CREATE INDEX yqh_spsj ON yqh(SPSJ);
CREATE INDEX yqh_gxsj ON yqh(GXSJ);

CREATE TABLE ywzt (            -- 业务办理状态
    YWBH    TEXT PRIMARY KEY,  -- 业务编号
    YWLX    TEXT NOT NULL,     -- 业务类型
    ZT      TEXT NOT NULL,
    ZJHM    TEXT,              -- 证件号码（卡号、通知号）
    GXSJ    TEXT NOT NULL
);
CREATE INDEX ywzt_gxsj ON ywzt(GXSJ);
