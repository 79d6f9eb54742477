-- The portal's person register: each applicant of an official-travel form entered once,
-- numbered RY and ten digits in the order first seen. The register checks the GB 11643
-- check digit on entry (weights 2^(17-i) mod 11, check character "10X98765432"[sum mod 11]),
-- so the forms with a wrong one, which Ferry stops on the official-travel line, are not
-- registered. The one parameter is the time of entry (yyyy-MM-dd HH:mm:ss).
WITH weight(i, w) AS (VALUES (1,7),(2,9),(3,10),(4,5),(5,8),(6,4),(7,2),(8,1),(9,6),(10,3),(11,7),(12,9),(13,10),(14,5),(15,8),(16,4),(17,2)),
person AS (
    SELECT min(rowid) AS first, id_card FROM applications a
    WHERE length(id_card) = 18
      AND substr('10X98765432', 1 + (SELECT sum(CAST(substr(a.id_card, i, 1) AS INTEGER) * w) FROM weight) % 11, 1) = upper(substr(id_card, 18, 1))
    GROUP BY id_card
)
INSERT INTO applicants(applicant_no, name, id_card, sex, employer_uscc, post, updated_at)
SELECT 'RY' || (2026000000 + row_number() OVER (ORDER BY p.first)), a.applicant_name, a.id_card, a.sex, a.employer_uscc,
       CASE a.rowid % 5 WHEN 0 THEN '处长' WHEN 1 THEN '副处长' WHEN 2 THEN '主任科员' WHEN 3 THEN '总经理' ELSE '' END, ?1
FROM person p JOIN applications a ON a.rowid = p.first;
