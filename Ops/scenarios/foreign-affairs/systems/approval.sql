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
