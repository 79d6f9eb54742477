-- Every fourth registered person hosts a foreign visitor and files the invitation; the form
-- names the host by register number, the inviter by the host's employer. Visitors' names are
-- as on their passports (family name first: accents, apostrophes and hyphens included), and
-- their passport numbers in their country's format: US nine digits, German C and eight,
-- French two digits, two letters and five digits, Japanese two letters and seven digits,
-- Korean M and eight digits, Irish two letters and seven digits. The one parameter is the
-- time of filing.
INSERT INTO invitations(inv_no, host_no, inviter_uscc, visitor_name, nationality, passport_no, arrive_on, leave_on, purpose, updated_at)
SELECT 'YQ' || substr(applicant_no, 3), applicant_no, employer_uscc,
       CASE (rowid / 4) % 6 WHEN 0 THEN 'SMITH JOHN' WHEN 1 THEN 'MÜLLER ANNA' WHEN 2 THEN 'DUBOIS MARIE-CLAIRE'
                            WHEN 3 THEN 'TANAKA HIROSHI' WHEN 4 THEN 'KIM MIN-JUN' ELSE 'O''BRIEN SEÁN' END,
       CASE (rowid / 4) % 6 WHEN 0 THEN 'US' WHEN 1 THEN 'DE' WHEN 2 THEN 'FR' WHEN 3 THEN 'JP' WHEN 4 THEN 'KR' ELSE 'IE' END,
       CASE (rowid / 4) % 6
           WHEN 0 THEN '5' || printf('%08d', rowid * 7919 % 100000000)
           WHEN 1 THEN 'C' || printf('%08d', rowid * 7919 % 100000000)
           WHEN 2 THEN printf('%02d', rowid % 100) || char(65 + rowid % 26) || char(65 + rowid / 26 % 26) || printf('%05d', rowid * 7919 % 100000)
           WHEN 3 THEN 'TK' || printf('%07d', rowid * 7919 % 10000000)
           WHEN 4 THEN 'M' || printf('%08d', rowid * 7919 % 100000000)
           ELSE 'PA' || printf('%07d', rowid * 7919 % 10000000) END,
       date('2027-03-01', '+' || (rowid % 200) || ' days'), date('2027-03-01', '+' || (rowid % 200 + 3 + rowid % 12) || ' days'),
       CASE (rowid / 4) % 3 WHEN 0 THEN '学术交流' WHEN 1 THEN '经贸洽谈' ELSE '友好城市交流' END, ?1
FROM applicants WHERE rowid % 4 = 1;
